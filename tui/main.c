/* main.c - tock-tui entry point (being written). */
#include <stdio.h>

int
main(void)
{
	fprintf(stderr, "tock-tui: not implemented yet\n");
	return 1;
}
