/* db_report.c - (being written). */
#include "err.h"

int db_report_placeholder_(void);

int
db_report_placeholder_(void)
{
	return TOCK_OK;
}
