/*
 * test_config.c - unit tests of common/config.c: keys at top level and in
 * [sections], comments, "quoted" values, blanks and CRLF, case-insensitive
 * keys (values keep their case), duplicates where the last one wins,
 * malformed lines reported with file name and line number, a missing file
 * read as an empty config, the size limit, and config_get_bool.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "err.h"
#include "tocktest.h"
#include "xmalloc.h"

static struct config *
parse_ok(const char *text)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct config *cfg = NULL;

	if (config_parse(&cfg, text, "test.conf", &err) != 0)
		fail_msg("config_parse failed: %s", err.msg);
	assert_non_null(cfg);
	assert_int_equal(err.code, 0);
	return cfg;
}

static void
get_is(const struct config *cfg, const char *key, const char *want)
{
	const char *v = config_get(cfg, key);

	if (want == NULL) {
		if (v != NULL)
			fail_msg("'%s' = '%s', want unset", key, v);
		return;
	}
	if (v == NULL)
		fail_msg("'%s' unset, want '%s'", key, want);
	if (strcmp(v, want) != 0)
		fail_msg("'%s' = '%s', want '%s'", key, v, want);
}

/* A parse that must fail with exactly msg. */
static void
parse_fails(const char *text, const char *msg)
{
	struct tock_err err = TOCK_ERR_INIT;
	struct config *cfg = (struct config *)&err;	/* must stay put */

	assert_int_equal(config_parse(&cfg, text, "test.conf", &err),
	    TOCK_EINVAL);
	assert_int_equal(err.code, TOCK_EINVAL);
	assert_ptr_equal(cfg, (struct config *)&err);
	if (strcmp(err.msg, msg) != 0)
		fail_msg("message '%s', want '%s'", err.msg, msg);
	/* err may be NULL. */
	assert_int_equal(config_parse(&cfg, text, "x", NULL), TOCK_EINVAL);
}

static void
test_config_top_level_and_sections(void **state)
{
	struct config *cfg = parse_ok(
	    "color = auto\n"
	    "[sync]\n"
	    "server = https://tock.example.org\n"
	    "interval = 30\n"
	    "[ui]\n"
	    "color = never\n");

	get_is(cfg, "color", "auto");
	get_is(cfg, "sync.server", "https://tock.example.org");
	get_is(cfg, "sync.interval", "30");
	get_is(cfg, "ui.color", "never");
	/* Section keys are not visible without their section. */
	get_is(cfg, "server", NULL);
	get_is(cfg, "interval", NULL);
	get_is(cfg, "sync", NULL);
	get_is(cfg, "sync.", NULL);
	get_is(cfg, "", NULL);
	config_free(cfg);
}

static void
test_config_comments_and_blank_lines(void **state)
{
	struct config *cfg = parse_ok(
	    "# a comment\n"
	    "; another comment\n"
	    "\n"
	    "   \t\n"
	    "   # indented comment = not a key\n"
	    "key = value # not a comment: values run to the end\n"
	    "[s]\n"
	    "; k = commented out\n"
	    "k2 = v2\n");

	get_is(cfg, "key", "value # not a comment: values run to the end");
	get_is(cfg, "# a comment", NULL);
	get_is(cfg, "# indented comment", NULL);
	get_is(cfg, "s.k", NULL);
	get_is(cfg, "s.k2", "v2");
	config_free(cfg);
}

static void
test_config_quotes(void **state)
{
	struct config *cfg = parse_ok(
	    "spaced = \"  two  blanks  \"\n"
	    "empty = \"\"\n"
	    "inner = \"say \"hi\"\"\n"
	    "lone = \"\n"
	    "open = \"unterminated\n"
	    "close = unopened\"\n"
	    "mid = a \"b\" c\n"
	    "hash = \"# kept\"\n");

	get_is(cfg, "spaced", "  two  blanks  ");
	get_is(cfg, "empty", "");
	get_is(cfg, "inner", "say \"hi\"");
	/* Quotes are only stripped as a matching pair around the value. */
	get_is(cfg, "lone", "\"");
	get_is(cfg, "open", "\"unterminated");
	get_is(cfg, "close", "unopened\"");
	get_is(cfg, "mid", "a \"b\" c");
	get_is(cfg, "hash", "# kept");
	config_free(cfg);
}

static void
test_config_whitespace(void **state)
{
	struct config *cfg = parse_ok(
	    "  \t key1 \t=\t value with  inner   blanks \t \n"
	    "key2=tight\n"
	    "key3 =\n"
	    "key4 = a=b=c\n"
	    "crlf = windows\r\n"
	    "\t[ Spaced Section ]\t\r\n"
	    "k = v\r\n"
	    "last = no newline at the end");

	get_is(cfg, "key1", "value with  inner   blanks");
	get_is(cfg, "key2", "tight");
	get_is(cfg, "key3", "");
	get_is(cfg, "key4", "a=b=c");
	get_is(cfg, "crlf", "windows");
	get_is(cfg, "spaced section.k", "v");
	get_is(cfg, "spaced section.last", "no newline at the end");
	config_free(cfg);
}

static void
test_config_keys_case_insensitive(void **state)
{
	struct config *cfg = parse_ok(
	    "Color = Auto\n"
	    "[SYNC]\n"
	    "Server = HTTPS://Example.ORG\n");

	get_is(cfg, "color", "Auto");
	get_is(cfg, "COLOR", "Auto");
	get_is(cfg, "cOlOr", "Auto");
	get_is(cfg, "sync.server", "HTTPS://Example.ORG");
	get_is(cfg, "Sync.Server", "HTTPS://Example.ORG");
	get_is(cfg, "SYNC.SERVER", "HTTPS://Example.ORG");
	config_free(cfg);
}

static void
test_config_duplicates_last_wins(void **state)
{
	struct config *cfg = parse_ok(
	    "a = 1\n"
	    "A = 2\n"
	    "[s]\n"
	    "k = first\n"
	    "[other]\n"
	    "k = other\n"
	    "[S]\n"
	    "K = second\n"
	    "[s]\n"
	    "k = \"third\"\n"
	    "[top]\n"
	    "a = in section\n");

	get_is(cfg, "a", "2");
	get_is(cfg, "s.k", "third");
	get_is(cfg, "other.k", "other");
	get_is(cfg, "top.a", "in section");
	config_free(cfg);
}

static void
test_config_dotted_top_level_key(void **state)
{
	/* "sync.server" at top level and server in [sync] are one key. */
	struct config *cfg = parse_ok(
	    "sync.server = top\n"
	    "[sync]\n"
	    "server = section\n");

	get_is(cfg, "sync.server", "section");
	config_free(cfg);
	/* A dotted key inside a section just gets the section prefix. */
	cfg = parse_ok("[a]\nb.c = 1\n");
	get_is(cfg, "a.b.c", "1");
	get_is(cfg, "b.c", NULL);
	config_free(cfg);
}

static void
test_config_bad_lines_name_the_line(void **state)
{
	parse_fails("just words\n", "test.conf:1: expected 'key = value'");
	parse_fails("a = 1\n# c\n\nno equals sign\n",
	    "test.conf:4: expected 'key = value'");
	parse_fails("a = 1\r\n[sync\r\n", "test.conf:2: bad section header");
	parse_fails("[]\n", "test.conf:1: bad section header");
	parse_fails("\n\n[s] trailing\n", "test.conf:3: bad section header");
	parse_fails("[a]]\n", "test.conf:1: bad section header");
	parse_fails("ok = 1\n = value\n", "test.conf:2: empty key");
	parse_fails("[s]\nk = v\n\t=\n", "test.conf:3: empty key");
	/* The first bad line is the one reported. */
	parse_fails("x\ny\n", "test.conf:1: expected 'key = value'");
}

static void
test_config_empty_text(void **state)
{
	struct config *cfg = parse_ok("");

	get_is(cfg, "anything", NULL);
	config_free(cfg);
	cfg = parse_ok("\n\n# only comments\n");
	get_is(cfg, "only", NULL);
	config_free(cfg);
	/* NULL config and config_free(NULL) are fine. */
	assert_null(config_get(NULL, "x"));
	assert_true(config_get_bool(NULL, "x", true));
	assert_false(config_get_bool(NULL, "x", false));
	config_free(NULL);
}

static void
test_config_get_bool(void **state)
{
	struct config *cfg = parse_ok(
	    "t1 = true\nt2 = YES\nt3 = On\nt4 = 1\nt5 = \"True\"\n"
	    "f1 = false\nf2 = No\nf3 = OFF\nf4 = 0\n"
	    "bad1 = maybe\nbad2 = 2\nbad3 =\nbad4 = truely\nbad5 = 01\n");
	static const char *const trues[] = { "t1", "t2", "t3", "t4", "t5" };
	static const char *const falses[] = { "f1", "f2", "f3", "f4" };
	static const char *const bads[] = {
		"bad1", "bad2", "bad3", "bad4", "bad5", "unset",
	};
	size_t i;

	for (i = 0; i < sizeof trues / sizeof trues[0]; i++) {
		assert_true(config_get_bool(cfg, trues[i], false));
		assert_true(config_get_bool(cfg, trues[i], true));
	}
	for (i = 0; i < sizeof falses / sizeof falses[0]; i++) {
		assert_false(config_get_bool(cfg, falses[i], false));
		assert_false(config_get_bool(cfg, falses[i], true));
	}
	/* Unset or unparsable: the default. */
	for (i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		assert_true(config_get_bool(cfg, bads[i], true));
		assert_false(config_get_bool(cfg, bads[i], false));
	}
	config_free(cfg);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void
test_config_load_file(void **state)
{
	char *dir = tt_tmpdir();
	char *path = xasprintf("%s/config", dir);
	struct tock_err err = TOCK_ERR_INIT;
	struct config *cfg = NULL;

	write_file(path, "# tock\nname = me\n[Sync]\nServer = x\n");
	assert_int_equal(config_load(&cfg, path, &err), 0);
	get_is(cfg, "name", "me");
	get_is(cfg, "sync.server", "x");
	config_free(cfg);

	/* Errors name the file path and the line. */
	write_file(path, "a = 1\n\n[broken\n");
	cfg = NULL;
	assert_int_equal(config_load(&cfg, path, &err), TOCK_EINVAL);
	assert_null(cfg);
	{
		char *want = xasprintf("%s:3: bad section header", path);

		assert_string_equal(err.msg, want);
		free(want);
	}
	free(path);
	tt_rmtree(dir);
}

static void
test_config_missing_file_is_empty(void **state)
{
	char *dir = tt_tmpdir();
	char *path = xasprintf("%s/no/such/config", dir);
	struct tock_err err = TOCK_ERR_INIT;
	struct config *cfg = NULL;

	assert_int_equal(config_load(&cfg, path, &err), 0);
	assert_non_null(cfg);
	assert_int_equal(err.code, 0);
	get_is(cfg, "name", NULL);
	assert_true(config_get_bool(cfg, "sync.auto", true));
	config_free(cfg);
	free(path);
	tt_rmtree(dir);
}

static void
test_config_too_large_file(void **state)
{
	char *dir = tt_tmpdir();
	char *path = xasprintf("%s/config", dir);
	struct tock_err err = TOCK_ERR_INIT;
	struct config *cfg = NULL;
	char line[1025];
	FILE *f;
	int i;

	/* 1 MiB is accepted, one byte more is not. */
	memset(line, '#', 1023);
	line[1023] = '\n';
	line[1024] = '\0';
	f = fopen(path, "w");
	assert_non_null(f);
	for (i = 0; i < 1024; i++)
		fputs(line, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(config_load(&cfg, path, &err), 0);
	config_free(cfg);
	cfg = NULL;

	f = fopen(path, "a");
	assert_non_null(f);
	fputc('\n', f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(config_load(&cfg, path, &err), TOCK_ETOOBIG);
	assert_null(cfg);
	assert_non_null(strstr(err.msg, "too large"));
	assert_non_null(strstr(err.msg, path));
	free(path);
	tt_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_top_level_and_sections),
		cmocka_unit_test(test_config_comments_and_blank_lines),
		cmocka_unit_test(test_config_quotes),
		cmocka_unit_test(test_config_whitespace),
		cmocka_unit_test(test_config_keys_case_insensitive),
		cmocka_unit_test(test_config_duplicates_last_wins),
		cmocka_unit_test(test_config_dotted_top_level_key),
		cmocka_unit_test(test_config_bad_lines_name_the_line),
		cmocka_unit_test(test_config_empty_text),
		cmocka_unit_test(test_config_get_bool),
		cmocka_unit_test(test_config_load_file),
		cmocka_unit_test(test_config_missing_file_is_empty),
		cmocka_unit_test(test_config_too_large_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
