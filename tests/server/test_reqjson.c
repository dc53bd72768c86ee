/* SPDX-License-Identifier: ISC */
/*
 * test_reqjson.c - unit tests of server/reqjson.c: the nesting pre-check
 * (brackets inside strings and escaped quotes do not count), parse errors
 * and trailing text, and the typed getters naming the field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "reqjson.h"

static void
test_reqjson_depth(void **state)
{
	static const char deep[] = "[[[[[1]]]]]";
	static const char str[] = "{\"a\":\"[[[[[[[[[[\\\"[[[[\"}";

	assert_int_equal(rjson_depth_check(deep, strlen(deep), 5), 0);
	assert_int_equal(rjson_depth_check(deep, strlen(deep), 4),
	    TOCK_ETOOBIG);
	assert_int_equal(rjson_depth_check(str, strlen(str), 1), 0);
	assert_int_equal(rjson_depth_check("{\"a\":{}}", 8, 1), TOCK_ETOOBIG);
}

static void
test_reqjson_parse(void **state)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct rjson *rj = NULL;
	char *deep;
	int i;

	assert_int_equal(rjson_parse(&rj, "{\"a\":1} ", 8, 8, &err), 0);
	assert_true(rjson_is_object(rj));
	rjson_free(rj);
	assert_int_equal(rjson_parse(&rj, "[1]", 3, 8, &err), 0);
	assert_false(rjson_is_object(rj));
	rjson_free(rj);
	assert_int_equal(rjson_parse(&rj, "{\"a\":", 5, 8, &err), TOCK_EINVAL);
	assert_string_equal(err.msg, "body is not valid JSON");
	assert_int_equal(rjson_parse(&rj, "{} {}", 5, 8, &err), TOCK_EINVAL);
	deep = malloc(2001);
	assert_non_null(deep);
	for (i = 0; i < 1000; i++) {
		deep[i] = '[';
		deep[1000 + i] = ']';
	}
	deep[2000] = '\0';
	assert_int_equal(rjson_parse(&rj, deep, 2000, 32, &err), TOCK_ETOOBIG);
	assert_string_equal(err.msg, "body nests deeper than 32 levels");
	free(deep);
}

static void
test_reqjson_getters(void **state)
{
	static const char doc[] = "{\"s\":\"x\",\"n\":3,\"f\":1.5,\"b\":true,"
	    "\"z\":null,\"o\":{\"k\":[1]},\"big\":1e300}";
	struct tock_err err = TOCK_ERR_INIT;
	struct rjson *rj = NULL;
	const char *s;
	int64_t n;
	bool b;
	char *o = NULL;

	assert_int_equal(rjson_parse(&rj, doc, strlen(doc), 8, &err), 0);
	assert_int_equal(rjson_get_str(rj, "s", &s, &err), RJ_VALUE);
	assert_string_equal(s, "x");
	assert_int_equal(rjson_get_str(rj, "missing", &s, &err), RJ_ABSENT);
	assert_int_equal(rjson_get_str(rj, "z", &s, &err), RJ_NULL);
	assert_int_equal(rjson_get_str(rj, "n", &s, &err), TOCK_EINVAL);
	assert_string_equal(err.msg, "'n' must be a string");
	assert_int_equal(rjson_get_int(rj, "n", &n, &err), RJ_VALUE);
	assert_int_equal(n, 3);
	assert_int_equal(rjson_get_int(rj, "f", &n, &err), TOCK_EINVAL);
	assert_int_equal(rjson_get_int(rj, "big", &n, &err), TOCK_EINVAL);
	assert_int_equal(rjson_get_bool(rj, "b", &b, &err), RJ_VALUE);
	assert_true(b);
	assert_int_equal(rjson_get_bool(rj, "s", &b, &err), TOCK_EINVAL);
	assert_int_equal(rjson_get_object(rj, "o", &o, &err), RJ_VALUE);
	assert_string_equal(o, "{\"k\":[1]}");
	free(o);
	assert_int_equal(rjson_get_object(rj, "s", &o, &err), TOCK_EINVAL);
	assert_string_equal(err.msg, "'s' must be an object");
	rjson_free(rj);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reqjson_depth),
		cmocka_unit_test(test_reqjson_parse),
		cmocka_unit_test(test_reqjson_getters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
