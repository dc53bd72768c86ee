/* SPDX-License-Identifier: ISC */
/*
 * test_route.c - unit tests of server/route.c: literal and parameter
 * segments, 404 versus 405 with the Allow list, trailing slashes, and
 * paths that must not match (extra or missing segments, empty or
 * over-long parameters).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "route.h"

static const struct route table[] = {
	{ HTTP_GET, "/api/v1/tasks", 0, NULL, { NULL, NULL } },
	{ HTTP_POST, "/api/v1/tasks", 0, NULL, { NULL, NULL } },
	{ HTTP_GET, "/api/v1/tasks/{id}", 0, NULL, { "id", NULL } },
	{ HTTP_PATCH, "/api/v1/tasks/{id}", 0, NULL, { "id", NULL } },
	{ HTTP_DELETE, "/api/v1/workspaces/{id}/members/{user_id}", 0, NULL,
	    { "id", "user_id" } },
	{ HTTP_GET, "/healthz", 0, NULL, { NULL, NULL } },
	{ 0, NULL, 0, NULL, { NULL, NULL } },
};

static const struct route *
match(int method, const char *path, char p[REQ_PARAM_MAX][REQ_PARAM_LEN],
    int *status, char *allow)
{
	return route_match(table, method, path, p, status, allow, 64);
}

static void
test_route_literal_and_params(void **state)
{
	char p[REQ_PARAM_MAX][REQ_PARAM_LEN], allow[64];
	int status = 0;

	assert_ptr_equal(match(HTTP_GET, "/api/v1/tasks", p, &status, allow),
	    &table[0]);
	assert_ptr_equal(match(HTTP_POST, "/api/v1/tasks", p, &status, allow),
	    &table[1]);
	assert_ptr_equal(match(HTTP_GET, "/api/v1/tasks/abc", p, &status,
	    allow), &table[2]);
	assert_string_equal(p[0], "abc");
	assert_ptr_equal(match(HTTP_DELETE, "/api/v1/workspaces/w1/members/u2",
	    p, &status, allow), &table[4]);
	assert_string_equal(p[0], "w1");
	assert_string_equal(p[1], "u2");
	assert_ptr_equal(match(HTTP_GET, "/healthz", p, &status, allow),
	    &table[5]);
	/* One trailing slash is ignored. */
	assert_ptr_equal(match(HTTP_GET, "/api/v1/tasks/", p, &status, allow),
	    &table[0]);
	assert_ptr_equal(match(HTTP_GET, "/api/v1/tasks/x/", p, &status,
	    allow), &table[2]);
}

static void
test_route_404_405(void **state)
{
	char p[REQ_PARAM_MAX][REQ_PARAM_LEN], allow[64];
	char longseg[REQ_PARAM_LEN + 20];
	int status = 0;

	assert_null(match(HTTP_PUT, "/api/v1/tasks", p, &status, allow));
	assert_int_equal(status, 405);
	assert_string_equal(allow, "GET, POST");
	assert_null(match(HTTP_POST, "/api/v1/tasks/x", p, &status, allow));
	assert_int_equal(status, 405);
	assert_string_equal(allow, "GET, PATCH");
	assert_null(match(HTTP_GET, "/api/v1/task", p, &status, allow));
	assert_int_equal(status, 404);
	assert_string_equal(allow, "");
	assert_null(match(HTTP_GET, "/api/v1/tasks/x/y", p, &status, allow));
	assert_int_equal(status, 404);
	assert_null(match(HTTP_GET, "/api/v1", p, &status, allow));
	assert_int_equal(status, 404);
	assert_null(match(HTTP_GET, "/api/v1/tasks//", p, &status, allow));
	assert_int_equal(status, 404);
	assert_null(match(HTTP_GET, "", p, &status, allow));
	assert_int_equal(status, 404);
	assert_null(match(HTTP_GET, "/healthzz", p, &status, allow));
	assert_int_equal(status, 404);
	assert_null(match(HTTP_DELETE, "/api/v1/workspaces//members/u", p,
	    &status, allow));
	assert_int_equal(status, 404);
	memset(longseg, 'a', sizeof longseg - 1);
	longseg[sizeof longseg - 1] = '\0';
	{
		char path[sizeof longseg + 32];

		snprintf(path, sizeof path, "/api/v1/tasks/%s", longseg);
		assert_null(match(HTTP_GET, path, p, &status, allow));
		assert_int_equal(status, 404);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_literal_and_params),
		cmocka_unit_test(test_route_404_405),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
