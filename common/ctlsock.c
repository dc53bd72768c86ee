/*
 * ctlsock.c - connect to tock-syncd's control socket (see ctlsock.h).
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctlsock.h"
#include "paths.h"

int
ctlsock_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *path = paths_socket(NULL);
	int fd;

	if (path == NULL)
		return -1;
	if (strlen(path) >= sizeof sa.sun_path) {
		free(path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	free(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0)
		return -1;
	/* A UNIX socket connects at once or fails: ENOENT (no daemon),
	 * ECONNREFUSED (a stale socket), EAGAIN (its backlog is full). */
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}
