/*
 * main.c - tock-syncd.  Placeholder until the daemon lands.
 */
#include <stdio.h>

int
main(void)
{
	fputs("tock-syncd: not built yet\n", stderr);
	return 1;
}
