/* db_export.c - (being written). */
#include "err.h"

int db_export_placeholder_(void);

int
db_export_placeholder_(void)
{
	return TOCK_OK;
}
