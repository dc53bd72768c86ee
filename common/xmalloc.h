/*
 * xmalloc.h - allocation that aborts on out-of-memory (tmux, git).
 * An OOM branch that no test exercises is worse than a clean abort.
 */
#ifndef TOCK_XMALLOC_H
#define TOCK_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a malloc'd formatted string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
