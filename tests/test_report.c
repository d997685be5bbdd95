/*
 * test_report.c - report/model.c and the writers: databases filled from SQL fixtures
 * (testdata/report/NAME.sql) into an in-memory database made with pd_schema_sql, every format
 * compared with a golden file, and a hostile fixture checked format by format.
 *
 * Regenerating the golden files after an intended change:
 *   PD_UPDATE_GOLDEN=1 build/tests/test_report   (then review `git diff testdata/report`)
 */
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "model.h"
#include "store.h"
#include "testutil.h"

static sqlite3 *load_db(const char *fixture)
{
	char path[512], *err = NULL;
	uint8_t *sql;
	size_t len;
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, pd_schema_sql, NULL, NULL, &err), SQLITE_OK);
	snprintf(path, sizeof(path), "testdata/report/%s.sql", fixture);
	sql = pd_test_read_file(path, &len);
	sql = realloc(sql, len + 1);
	sql[len] = 0;
	if (sqlite3_exec(db, (const char *)sql, NULL, NULL, &err) != SQLITE_OK)
		ck_abort_msg("%s: %s", path, err);
	free(sql);
	return db;
}

static struct pd_report_opts default_opts(void)
{
	struct pd_report_opts o;

	memset(&o, 0, sizeof(o));
	o.top = 10;
	o.width = 100;
	return o;
}

/* Writes m in fmt into a malloc'd string. */
static char *render(const struct pd_model *m, enum pd_format fmt, const struct pd_report_opts *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	pd_report_write(m, fmt, o, f);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

static const struct {
	enum pd_format fmt;
	const char *ext;
} formats[] = {
	{ PD_FMT_CSV, "csv" },   { PD_FMT_MD, "md" },     { PD_FMT_JSON, "json" },
	{ PD_FMT_HTML, "html" }, { PD_FMT_TEXT, "txt" },
};

/* Compares every format of fixture with testdata/report/FIXTURE.golden.EXT (or rewrites
 * them with PD_UPDATE_GOLDEN=1). */
static void check_golden(const char *fixture)
{
	struct pd_report_opts o = default_opts();
	char errbuf[PD_ERRBUF_SIZE], path[512], full[1024];
	struct pd_model *m = NULL;
	sqlite3 *db = load_db(fixture);
	uint8_t *want;
	size_t i, len;
	char *got;
	FILE *f;

	o.title = "golden";
	ck_assert_int_eq(pd_model_build(db, &o, &m, errbuf), PD_OK);
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		got = render(m, formats[i].fmt, &o);
		snprintf(path, sizeof(path), "testdata/report/%s.golden.%s", fixture, formats[i].ext);
		if (getenv("PD_UPDATE_GOLDEN")) {
			snprintf(full, sizeof(full), "%s/%s", PD_SOURCE_DIR, path);
			f = fopen(full, "w");
			ck_assert_ptr_nonnull(f);
			fputs(got, f);
			ck_assert_int_eq(fclose(f), 0);
		} else {
			want = pd_test_read_file(path, &len);
			if (len != strlen(got) || memcmp(want, got, len))
				ck_abort_msg("%s differs from the output (PD_UPDATE_GOLDEN=1 rewrites it)",
					     path);
			free(want);
		}
		free(got);
	}
	pd_model_free(m);
	sqlite3_close(db);
}

START_TEST(valid)
{
	check_golden("basic");
}
END_TEST

START_TEST(hostile)
{
	check_golden("hostile");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("report");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, valid);
	tcase_add_test(tc, hostile);
	suite_add_tcase(s, tc);
	return pd_test_run(s);
}
