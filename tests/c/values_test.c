/*
 * The CBOR value functions of the C ABI, used from plain C11 the way a C
 * caller would: hand-written CBOR in, bytes compared out, every buffer and
 * string freed. Exits non-zero, with a message on stderr, on any failure.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "surreal_core.h"

/* Prints the calling thread's last error after `what`. */
static void report_last_error(const char *what) {
  char *message = surreal_get_last_error();
  fprintf(stderr, "%s: %s\n", what, message ? message : "(no error message)");
  surreal_free_string(message);
}

static void print_hex(const char *label, const uint8_t *data, size_t len) {
  fprintf(stderr, "  %s (%zu bytes):", label, len);
  for (size_t i = 0; i < len; i++) fprintf(stderr, " %02x", data[i]);
  fputc('\n', stderr);
}

/*
 * { b: <bytes 00 01 00>, d: d'2023-11-14T22:13:20.123456789Z',
 *   id: person:42, n: 1.50dec, x: NONE }
 * Keys in SurrealDB's order (sorted by their bytes), as it returns them.
 */
static const uint8_t VALUE[] = {
    0xa5,                                     /* map of 5 */
    0x61, 'b', 0x43, 0x00, 0x01, 0x00,        /* "b": bytes 00 01 00 */
    0x61, 'd', 0xcc, 0x82,                    /* "d": tag 12 [secs, nanos] */
    0x1a, 0x65, 0x53, 0xf1, 0x00,             /*   1700000000 */
    0x1a, 0x07, 0x5b, 0xcd, 0x15,             /*   123456789 */
    0x62, 'i', 'd', 0xc8, 0x82,               /* "id": tag 8 [table, key] */
    0x66, 'p', 'e', 'r', 's', 'o', 'n', 0x18, 0x2a, /* "person", 42 */
    0x61, 'n', 0xca, 0x64, '1', '.', '5', '0', /* "n": tag 10 "1.50" */
    0x61, 'x', 0xc6, 0xf6,                    /* "x": tag 6 null (NONE) */
};

/* VALUE as SurrealDB's SurrealQL parser reads its text back: the parser
   normalises decimal literals (1.50dec becomes 1.5), unlike CBOR. */
static const uint8_t VALUE_PARSED[] = {
    0xa5,
    0x61, 'b', 0x43, 0x00, 0x01, 0x00,
    0x61, 'd', 0xcc, 0x82, 0x1a, 0x65, 0x53, 0xf1, 0x00, 0x1a, 0x07, 0x5b, 0xcd, 0x15,
    0x62, 'i', 'd', 0xc8, 0x82, 0x66, 'p', 'e', 'r', 's', 'o', 'n', 0x18, 0x2a,
    0x61, 'n', 0xca, 0x63, '1', '.', '5',
    0x61, 'x', 0xc6, 0xf6,
};

static const char VALUE_SQL[] =
    "{ b: b\"000100\", d: d'2023-11-14T22:13:20.123456789Z', id: person:42, "
    "n: 1.50dec, x: NONE }";

/* Runs `sql` with `bindings` (CBOR, NULL for none) through
   surreal_db_execute: its params are the array [sql, bindings], the bindings
   copied as they are, malformed or not. NULL on error. */
static SurrealResponse *run_query(SurrealDatabase *db, const char *sql,
                                  const uint8_t *bindings, size_t bindings_len,
                                  const SurrealCancel *cancel) {
  size_t sql_len = strlen(sql);
  uint8_t *params = malloc(4 + sql_len + bindings_len);
  if (params == NULL) return NULL;
  size_t at = 0;
  params[at++] = bindings != NULL ? 0x82 : 0x81;
  if (sql_len < 24) {
    params[at++] = (uint8_t)(0x60 + sql_len);
  } else {
    params[at++] = 0x78; /* text, one length byte: the tests' SQL is short */
    params[at++] = (uint8_t)sql_len;
  }
  memcpy(params + at, sql, sql_len);
  at += sql_len;
  if (bindings != NULL) {
    memcpy(params + at, bindings, bindings_len);
    at += bindings_len;
  }
  SurrealResponse *response = NULL;
  surreal_db_execute(db, NULL, "query", params, at, NULL, cancel, &response, NULL, NULL);
  free(params);
  return response;
}

/* Runs `sql` with CBOR bindings; returns the results' CBOR (to free with
   surreal_buffer_free) or NULL after reporting the failure. */
static uint8_t *query_cbor(SurrealDatabase *db, const char *sql,
                           const uint8_t *bindings, size_t bindings_len,
                           size_t *len) {
  SurrealResponse *response =
      run_query(db, sql, bindings, bindings_len, NULL);
  CHECK(response != NULL, "%s failed", sql);
  if (response == NULL) {
    report_last_error(sql);
    return NULL;
  }
  CHECK(surreal_response_has_errors(response) == 0, "%s has errors", sql);
  uint8_t *data = NULL;
  int32_t status = surreal_response_cbor(response, SURREAL_RESPONSE_RESULTS, &data, len);
  CHECK(status == SURREAL_OK, "surreal_response_cbor: %d", status);
  surreal_response_free(response);
  return status == SURREAL_OK ? data : NULL;
}

static void bound_values_come_back_unchanged(SurrealDatabase *db) {
  /* { v: VALUE } */
  uint8_t bindings[3 + sizeof VALUE] = {0xa1, 0x61, 'v'};
  memcpy(bindings + 3, VALUE, sizeof VALUE);

  size_t len = 0;
  uint8_t *results = query_cbor(db, "RETURN $v", bindings, sizeof bindings, &len);
  if (results == NULL) return;
  /* One statement: an array of one item, the value itself. */
  int same = len == 1 + sizeof VALUE && results[0] == 0x81 &&
             memcmp(results + 1, VALUE, sizeof VALUE) == 0;
  CHECK(same, "RETURN $v did not give back the same bytes");
  if (!same) {
    print_hex("expected 81 +", VALUE, sizeof VALUE);
    print_hex("got", results, len);
  }
  surreal_buffer_free(results, len);

  /* Taking the results moves them out: a second take gives NONE. */
  SurrealResponse *response =
      run_query(db, "RETURN $v", bindings, sizeof bindings, NULL);
  CHECK(response != NULL, "second query failed");
  if (response == NULL) return;
  uint8_t *taken = NULL;
  size_t taken_len = 0;
  CHECK(surreal_response_cbor(response, SURREAL_RESPONSE_TAKE_RESULTS, &taken, &taken_len) ==
            SURREAL_OK,
        "take failed");
  CHECK(taken != NULL && taken_len == 1 + sizeof VALUE &&
            memcmp(taken + 1, VALUE, sizeof VALUE) == 0,
        "taken results differ");
  surreal_buffer_free(taken, taken_len);
  CHECK(surreal_response_cbor(response, SURREAL_RESPONSE_TAKE_RESULTS, &taken, &taken_len) ==
            SURREAL_OK,
        "second take failed");
  static const uint8_t NONE_RESULT[] = {0x81, 0xc6, 0xf6};
  CHECK(taken_len == sizeof NONE_RESULT &&
            memcmp(taken, NONE_RESULT, sizeof NONE_RESULT) == 0,
        "after a take the result is not NONE");
  surreal_buffer_free(taken, taken_len);
  surreal_response_free(response);
}

static void malformed_buffers_are_refused(SurrealDatabase *db) {
  /* The bindings follow the params array's head and "RETURN $v" (11 bytes),
     so their byte 3 is the params' byte 14. */
  /* { v: <tag 99 null> }: an unknown tag at byte 3. */
  static const uint8_t UNKNOWN_TAG[] = {0xa1, 0x61, 'v', 0xd8, 0x63, 0xf6};
  /* A text whose length runs past the end. */
  static const uint8_t TRUNCATED[] = {0xa1, 0x61, 'v', 0x65, 'a', 'b'};
  /* Invalid UTF-8 in a key. */
  static const uint8_t BAD_UTF8[] = {0xa1, 0x61, 0xff, 0x01};
  /* A value after the value. */
  static const uint8_t TRAILING[] = {0xa0, 0xa0};
  const struct {
    const uint8_t *data;
    size_t len;
    const char *expected;
  } cases[] = {
      {UNKNOWN_TAG, sizeof UNKNOWN_TAG, "params: unknown CBOR tag 99 at byte 14"},
      {TRUNCATED, sizeof TRUNCATED, "at byte 14"},
      {BAD_UTF8, sizeof BAD_UTF8, "UTF-8"},
      {TRAILING, sizeof TRAILING, "trailing bytes"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    SurrealResponse *response =
        run_query(db, "RETURN $v", cases[i].data, cases[i].len,
                              NULL);
    CHECK(response == NULL, "malformed buffer %zu was accepted", i);
    surreal_response_free(response);
    CHECK(surreal_get_last_error_code() == SURREAL_ERR_INVALID_ARGUMENT,
          "case %zu: status %d", i, surreal_get_last_error_code());
    char *message = surreal_get_last_error();
    CHECK(message != NULL && strstr(message, cases[i].expected) != NULL,
          "case %zu: message '%s' does not say '%s'", i,
          message ? message : "(null)", cases[i].expected);
    surreal_free_string(message);
  }

  /* The handle still works. */
  size_t len = 0;
  uint8_t *results = query_cbor(db, "RETURN 1", NULL, 0, &len);
  static const uint8_t ONE[] = {0x81, 0x01};
  CHECK(results != NULL && len == sizeof ONE && memcmp(results, ONE, len) == 0,
        "RETURN 1 after the errors");
  surreal_buffer_free(results, len);
}

static void a_triggered_token_cancels(SurrealDatabase *db) {
  SurrealCancel *cancel = surreal_cancel_new();
  CHECK(cancel != NULL, "surreal_cancel_new gave NULL");
  if (cancel == NULL) return;
  surreal_cancel_trigger(cancel);

  SurrealResponse *response =
      run_query(db, "RETURN 1", NULL, 0, cancel);
  CHECK(response == NULL, "a cancelled query answered");
  surreal_response_free(response);
  CHECK(surreal_get_last_error_code() == SURREAL_ERR_CANCELLED,
        "cancelled query: status %d", surreal_get_last_error_code());
  surreal_cancel_free(cancel);

  /* Without a token the same query works. */
  size_t len = 0;
  uint8_t *results = query_cbor(db, "RETURN 1", NULL, 0, &len);
  static const uint8_t ONE[] = {0x81, 0x01};
  CHECK(results != NULL && len == sizeof ONE && memcmp(results, ONE, len) == 0,
        "RETURN 1 without a token");
  surreal_buffer_free(results, len);
}

static void surrealql_text(void) {
  char *sql = surreal_value_render(VALUE, sizeof VALUE, SURREAL_FORMAT_SQL);
  CHECK(sql != NULL && strcmp(sql, VALUE_SQL) == 0, "to_sql gave '%s'",
        sql ? sql : "(null)");

  /* Parsing that text gives the same value back (its decimal normalised). */
  uint8_t *data = NULL;
  size_t len = 0;
  int32_t status = surreal_value_parse(sql ? sql : "", &data, &len);
  CHECK(status == SURREAL_OK, "parse: %d", status);
  int same = data != NULL && len == sizeof VALUE_PARSED &&
             memcmp(data, VALUE_PARSED, len) == 0;
  CHECK(same, "parsing the SurrealQL text did not give the expected CBOR");
  if (!same && data != NULL) print_hex("got", data, len);
  surreal_buffer_free(data, len);
  surreal_free_string(sql);

  /* A few literals and their CBOR. */
  const struct {
    const char *text;
    uint8_t cbor[8];
    size_t len;
  } literals[] = {
      {"NONE", {0xc6, 0xf6}, 2},
      {"NULL", {0xf6}, 1},
      {"-1", {0x20}, 1},
      {"'a\\0b'", {0x63, 'a', 0x00, 'b'}, 4},
      {"1.5dec", {0xca, 0x63, '1', '.', '5'}, 5},
      {"[true, 0.5f]", {0x82, 0xf5, 0xf9, 0x38, 0x00}, 5},
      {"1s", {0xce, 0x81, 0x01}, 3},
  };
  for (size_t i = 0; i < sizeof literals / sizeof literals[0]; i++) {
    data = NULL;
    len = 0;
    status = surreal_value_parse(literals[i].text, &data, &len);
    CHECK(status == SURREAL_OK && len == literals[i].len &&
              memcmp(data, literals[i].cbor, len) == 0,
          "parsing %s", literals[i].text);
    if (status == SURREAL_OK) {
      char *back = surreal_value_render(data, len, SURREAL_FORMAT_SQL);
      CHECK(back != NULL && strcmp(back, literals[i].text) == 0,
            "%s renders as '%s'", literals[i].text, back ? back : "(null)");
      surreal_free_string(back);
    }
    surreal_buffer_free(data, len);
  }

  /* Bad text: an invalid argument, and the out-parameters cleared. */
  data = (uint8_t *)1;
  len = 7;
  status = surreal_value_parse("{ a: 1", &data, &len);
  CHECK(status == SURREAL_ERR_INVALID_ARGUMENT, "bad text: %d", status);
  CHECK(data == NULL && len == 0, "out-parameters not cleared");
  status = surreal_value_parse("1 2", &data, &len);
  CHECK(status == SURREAL_ERR_INVALID_ARGUMENT, "trailing text: %d", status);

  /* JSON, as the SDK renders it. */
  char *json = surreal_value_render(VALUE, sizeof VALUE, SURREAL_FORMAT_JSON);
  CHECK(json != NULL && strstr(json, "\"id\":\"person:42\"") != NULL &&
            strstr(json, "\"x\":null") != NULL,
        "to_json gave '%s'", json ? json : "(null)");
  surreal_free_string(json);

  /* A malformed buffer. */
  static const uint8_t BREAK[] = {0xff};
  CHECK(surreal_value_render(BREAK, 1, SURREAL_FORMAT_SQL) == NULL, "to_sql took a break");
  CHECK(surreal_get_last_error_code() == SURREAL_ERR_INVALID_ARGUMENT,
        "to_sql status %d", surreal_get_last_error_code());
  surreal_buffer_free(NULL, 0);
}

int main(void) {
  SurrealDatabase *db = surreal_db_new("mem://");
  if (db == NULL || surreal_db_connect(db) != SURREAL_OK ||
      surreal_db_use_ns(db, "test") != SURREAL_OK ||
      surreal_db_use_db(db, "test") != SURREAL_OK) {
    report_last_error("cannot open mem://");
    surreal_db_close(db);
    return 1;
  }

  bound_values_come_back_unchanged(db);
  malformed_buffers_are_refused(db);
  a_triggered_token_cancels(db);
  surrealql_text();

  int32_t status = surreal_db_close(db);
  CHECK(status == SURREAL_OK, "close: %d", status);

  if (failures > 0) {
    fprintf(stderr, "values_test: %d check(s) failed\n", failures);
    return 1;
  }
  printf("values_test: all checks passed\n");
  return 0;
}
