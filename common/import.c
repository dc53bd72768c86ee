/* import.c - (being written). */
#include "err.h"

int import_placeholder_(void);

int
import_placeholder_(void)
{
	return TOCK_OK;
}
