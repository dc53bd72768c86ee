/* db_import.c - (being written). */
#include "err.h"

int db_import_placeholder_(void);

int
db_import_placeholder_(void)
{
	return TOCK_OK;
}
