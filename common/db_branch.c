/* db_branch.c - (being written). */
#include "err.h"

int db_branch_placeholder_(void);

int
db_branch_placeholder_(void)
{
	return TOCK_OK;
}
