/* main.c - tock-server entry point (being written). */
#include <stdio.h>

int
main(void)
{
	fprintf(stderr, "tock-server: not implemented yet\n");
	return 1;
}
