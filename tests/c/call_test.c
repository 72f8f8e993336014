/*
 * Every method of surreal_db_execute from plain C11, with its arguments written
 * as SurrealQL literals and turned into CBOR by surreal_value_parse, and its
 * result compared as SurrealQL text (surreal_value_render). Also
 * surreal_db_configure, surreal_db_new_session, the stream of export and
 * import, asynchronous calls, transactions (begin, a call with a txn,
 * commit, cancel), live queries (live, kill, and the notify callback's end,
 * which comes exactly once), refused arguments, and SurrealDB's structured
 * errors (surreal_get_last_error_details, surreal_response_cbor). Exits non-zero, with
 * a message on stderr, on any failure.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "surreal_core.h"

/* surreal_db_execute, blocking: the response, or NULL on error. */
static SurrealResponse *execute(SurrealDatabase *db, const uint8_t *txn,
                                const char *method, const uint8_t *params,
                                size_t params_len, const SurrealStream *stream) {
  SurrealResponse *response = NULL;
  surreal_db_execute(db, txn, method, params, params_len, stream, NULL, &response,
                     NULL, NULL);
  return response;
}

static char *last_error(void) {
  char *message = surreal_get_last_error();
  return message ? message : strdup("(no error message)");
}

/* Calls `method` with `args` (a SurrealQL array literal, or NULL for none)
   and returns its result as SurrealQL text (to free()), or NULL with the
   status in *status. */
static char *call_stream(SurrealDatabase *db, const char *method,
                         const char *args, const SurrealStream *stream,
                         int32_t *status) {
  uint8_t *params = NULL;
  size_t params_len = 0;
  if (args != NULL && surreal_value_parse(args, &params, &params_len) != 0) {
    char *message = last_error();
    fprintf(stderr, "cannot parse %s: %s\n", args, message);
    surreal_free_string(message);
    failures++;
    return NULL;
  }
  SurrealResponse *response =
      execute(db, NULL, method, params, params_len, stream);
  surreal_buffer_free(params, params_len);
  if (status != NULL) *status = surreal_get_last_error_code();
  if (response == NULL) return NULL;
  uint8_t *data = NULL;
  size_t len = 0;
  char *text = NULL;
  if (surreal_response_cbor(response, SURREAL_RESPONSE_RESULTS, &data, &len) == SURREAL_OK) {
    char *sql = surreal_value_render(data, len, SURREAL_FORMAT_SQL);
    text = sql ? strdup(sql) : NULL;
    surreal_free_string(sql);
  }
  surreal_buffer_free(data, len);
  surreal_response_free(response);
  return text;
}

static char *call(SurrealDatabase *db, const char *method, const char *args) {
  return call_stream(db, method, args, NULL, NULL);
}

/* Checks that `method(args)` answers `expected` (the results array's text). */
static void expect(SurrealDatabase *db, const char *method, const char *args,
                   const char *expected) {
  char *text = call(db, method, args);
  if (text == NULL) {
    char *message = last_error();
    CHECK(false, "%s(%s) failed: %s", method, args ? args : "", message);
    surreal_free_string(message);
    return;
  }
  CHECK(strcmp(text, expected) == 0, "%s(%s): got %s, expected %s", method,
        args ? args : "", text, expected);
  free(text);
}

/* Checks that `method(args)` fails with `code`, its message holding `part`. */
static void expect_error(SurrealDatabase *db, const char *method,
                         const char *args, int32_t code, const char *part) {
  int32_t status = 0;
  char *text = call_stream(db, method, args, NULL, &status);
  CHECK(text == NULL, "%s(%s) succeeded: %s", method, args ? args : "", text);
  free(text);
  char *message = last_error();
  CHECK(status == code, "%s: status %d, expected %d (%s)", method, status,
        code, message);
  CHECK(strstr(message, part) != NULL, "%s: '%s' lacks '%s'", method, message,
        part);
  surreal_free_string(message);
}

/* Record calls answer as the SDK does: an array, even for one record id (the
   C++ layer unwraps it). */
static void record_verbs(SurrealDatabase *db) {
  expect(db, "create", "[person:1, { name: 'Ann' }]",
         "[[{ id: person:1, name: 'Ann' }]]");
  expect(db, "insert", "['person', [{ id: person:2, name: 'Bob' }]]",
         "[[{ id: person:2, name: 'Bob' }]]");
  expect(db, "select", "[person:2]", "[[{ id: person:2, name: 'Bob' }]]");
  expect(db, "update", "[person:2, { name: 'Rob' }]",
         "[[{ id: person:2, name: 'Rob' }]]");
  expect(db, "merge", "[person:2, { age: 30 }]",
         "[[{ age: 30, id: person:2, name: 'Rob' }]]");
  expect(db, "patch",
         "[person:2, [{ op: 'replace', path: '/age', value: 31 }]]",
         "[[{ age: 31, id: person:2, name: 'Rob' }]]");
  expect(db, "upsert", "[person:3, { name: 'Cy' }]",
         "[[{ id: person:3, name: 'Cy' }]]");
  expect(db, "relate", "[person:1, 'knows', person:2, { id: knows:1, since: 2020 }]",
         "[{ id: knows:1, in: person:1, out: person:2, since: 2020 }]");
  expect(db, "insert_relation",
         "['knows', { id: knows:2, in: person:2, out: person:3 }]",
         "[[{ id: knows:2, in: person:2, out: person:3 }]]");
  expect(db, "query", "['SELECT VALUE out FROM knows ORDER BY id']",
         "[[person:2, person:3]]");
  expect(db, "delete", "[person:3]", "[[{ id: person:3, name: 'Cy' }]]");
  expect(db, "query", "['RETURN count(SELECT * FROM person)']", "[2]");
}

static void functions_and_facts(SurrealDatabase *db) {
  expect(db, "run", "['string::uppercase', ['abc']]", "['ABC']");
  expect(db, "version", NULL, "['3.3.5']");
  expect(db, "health", NULL, "[NONE]");
  expect(db, "set", "['x', 7]", "[NONE]");
  expect(db, "query", "['RETURN $x * 2']", "[14]");
  expect(db, "unset", "['x']", "[NONE]");
  expect(db, "query", "['RETURN $x']", "[NONE]");
}

static void refused_arguments(SurrealDatabase *db) {
  expect_error(db, "drop_everything", NULL, SURREAL_ERR_INVALID_ARGUMENT,
               "unknown method");
  expect_error(db, "select", NULL, SURREAL_ERR_INVALID_ARGUMENT, "missing");
  expect_error(db, "select", "[42]", SURREAL_ERR_INVALID_ARGUMENT, "resource");
  expect_error(db, "relate", "['person:1', 1, person:2]",
               SURREAL_ERR_INVALID_ARGUMENT, "edge table must be a string");
  expect_error(db, "version", "[1]", SURREAL_ERR_INVALID_ARGUMENT,
               "too many");
  expect_error(db, "patch", "[person:1, [{ op: 'move', path: '/a' }]]",
               SURREAL_ERR_INVALID_ARGUMENT, "unknown operation");
  expect_error(db, "run", "['fn::missing']", SURREAL_ERR_QUERY, "missing");
  expect_error(db, "export", NULL, SURREAL_ERR_INVALID_ARGUMENT,
               "chunk callback");
  expect_error(db, "authenticate", "['not-a-token']",
               SURREAL_ERR_AUTHENTICATION, "");
  /* Still usable. */
  expect(db, "query", "['RETURN 1']", "[1]");
}

struct Collected {
  char text[65536];
  size_t len;
  uint64_t progress_calls, last_done, last_total;
};

static bool collect_chunk(void *context, const uint8_t *data, size_t len) {
  struct Collected *collected = context;
  if (collected->len + len >= sizeof collected->text) return false;
  memcpy(collected->text + collected->len, data, len);
  collected->len += len;
  collected->text[collected->len] = '\0';
  return true;
}

static bool note_progress(void *context, uint64_t done, uint64_t total) {
  struct Collected *collected = context;
  collected->progress_calls++;
  collected->last_done = done;
  collected->last_total = total;
  return true;
}

static void export_and_import(SurrealDatabase *db, const char *dir) {
  static struct Collected collected;
  SurrealStream stream = {.chunk = collect_chunk, .progress = note_progress, .context = &collected};
  char *result = call_stream(db, "export", "[{ tables: ['person'] }]", &stream,
                             NULL);
  CHECK(result != NULL && strcmp(result, "[NONE]") == 0, "export: %s",
        result ? result : "failed");
  free(result);
  CHECK(strstr(collected.text, "person:2") != NULL, "export lacks person:2");
  CHECK(strstr(collected.text, "knows:1") == NULL, "export has knows:1");

  char path[4096];
  snprintf(path, sizeof path, "%s/dump.surql", dir);
  FILE *file = fopen(path, "wb");
  CHECK(file != NULL, "cannot write %s", path);
  if (file == NULL) return;
  fwrite(collected.text, 1, collected.len, file);
  fclose(file);

  SurrealDatabase *copy = surreal_db_new("mem://");
  CHECK(copy != NULL && surreal_db_connect(copy) == SURREAL_OK &&
            surreal_db_use_ns(copy, "test") == SURREAL_OK &&
            surreal_db_use_db(copy, "test") == SURREAL_OK,
        "cannot open a second datastore");
  char args[4200];
  snprintf(args, sizeof args, "['%s']", path);
  result = call_stream(copy, "import", args, &stream, NULL);
  CHECK(result != NULL, "import failed");
  free(result);
  CHECK(collected.progress_calls >= 2 &&
            collected.last_done == (uint64_t)collected.len &&
            collected.last_total == (uint64_t)collected.len,
        "import progress: %llu calls, last %llu of %llu (file %zu)",
        (unsigned long long)collected.progress_calls,
        (unsigned long long)collected.last_done,
        (unsigned long long)collected.last_total, collected.len);
  expect(copy, "query", "['SELECT VALUE name FROM person ORDER BY id']",
         "[['Ann', 'Rob']]");
  surreal_db_close(copy);
}

static void authentication_and_sessions(void) {
  SurrealDatabase *db = surreal_db_new("mem://");
  uint8_t *options = NULL;
  size_t options_len = 0;
  CHECK(surreal_value_parse("{ root: { user: 'root', pass: 'pw' } }", &options,
                            &options_len) == SURREAL_OK,
        "parse options");
  CHECK(surreal_db_configure(db, options, options_len) == SURREAL_OK,
        "configure");
  surreal_buffer_free(options, options_len);
  CHECK(surreal_db_connect(db) == SURREAL_OK, "connect with root");

  uint8_t *bad = NULL;
  size_t bad_len = 0;
  surreal_value_parse("{ no_such_option: true }", &bad, &bad_len);
  CHECK(surreal_db_configure(db, bad, bad_len) == SURREAL_ERR_INVALID_ARGUMENT,
        "unknown option accepted");
  surreal_buffer_free(bad, bad_len);

  SurrealDatabase *session = surreal_db_new_session(db);
  CHECK(session != NULL, "new session");
  expect_error(session, "query", "['RETURN session::ns(); CREATE t:1']",
               SURREAL_ERR_AUTHENTICATION, "Anonymous access not allowed");
  expect_error(session, "signin", "[{ user: 'root', pass: 'nope' }]",
               SURREAL_ERR_AUTHENTICATION, "");
  char *tokens = call(session, "signin", "[{ user: 'root', pass: 'pw' }]");
  CHECK(tokens != NULL && strstr(tokens, "access: '") != NULL, "signin: %s",
        tokens ? tokens : "failed");
  free(tokens);
  expect(session, "query", "['USE NS n DB d; CREATE t:1 RETURN id']",
         "[{ database: 'd', namespace: 'n' }, [{ id: t:1 }]]");
  expect(session, "invalidate", NULL, "[NONE]");
  expect_error(session, "query", "['RETURN 1']", SURREAL_ERR_AUTHENTICATION,
               "Anonymous access not allowed");
  CHECK(surreal_db_close(session) == SURREAL_OK, "close the session");
  /* The datastore outlives the session. */
  expect(db, "query", "['USE NS n DB d; SELECT VALUE id FROM t']",
         "[{ database: 'd', namespace: 'n' }, [t:1]]");
  CHECK(surreal_db_close(db) == SURREAL_OK, "close");
}

struct Waiter {
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  int done;
  int32_t status;
  char *details; /* on_failed: the error's details, read in the callback */
};

static void on_done(void *context, int32_t status, SurrealResponse *response,
                    char *error) {
  struct Waiter *waiter = context;
  surreal_response_free(response);
  surreal_free_string(error);
  pthread_mutex_lock(&waiter->mutex);
  waiter->status = status;
  waiter->done = 1;
  pthread_cond_signal(&waiter->cond);
  pthread_mutex_unlock(&waiter->mutex);
}

static void asynchronous_call(SurrealDatabase *db) {
  uint8_t *params = NULL;
  size_t len = 0;
  surreal_value_parse("['string::len', ['four']]", &params, &len);
  struct Waiter waiter = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 1, NULL};
  int32_t status =
      surreal_db_execute(db, NULL, "run", params, len, NULL, NULL, NULL, on_done, &waiter);
  surreal_buffer_free(params, len);
  CHECK(status == SURREAL_OK, "call_async: %d", status);
  /* A bounded wait: a hang fails the test rather than blocking it. */
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 60;
  pthread_mutex_lock(&waiter.mutex);
  while (!waiter.done &&
         pthread_cond_timedwait(&waiter.cond, &waiter.mutex, &deadline) == 0) {
  }
  CHECK(waiter.done && waiter.status == SURREAL_OK, "async run: %d",
        waiter.status);
  pthread_mutex_unlock(&waiter.mutex);
  status = surreal_db_execute(db, NULL, "nope", NULL, 0, NULL, NULL, NULL, on_done, &waiter);
  CHECK(status == SURREAL_ERR_INVALID_ARGUMENT, "unknown async method: %d",
        status);
}

/* The last error's details as SurrealQL text (to free()), or NULL. */
static char *last_error_details(void) {
  uint8_t *data = NULL;
  size_t len = 0;
  if (surreal_get_last_error_details(&data, &len) != SURREAL_OK || data == NULL) {
    return NULL;
  }
  char *sql = surreal_value_render(data, len, SURREAL_FORMAT_SQL);
  char *text = sql ? strdup(sql) : NULL;
  surreal_free_string(sql);
  surreal_buffer_free(data, len);
  return text;
}

/* Records what the async callback could read of the error on its thread. */
static void on_failed(void *context, int32_t status, SurrealResponse *response,
                      char *error) {
  struct Waiter *waiter = context;
  char *details = last_error_details();
  surreal_response_free(response);
  surreal_free_string(error);
  pthread_mutex_lock(&waiter->mutex);
  waiter->status = status;
  waiter->details = details;
  waiter->done = 1;
  pthread_cond_signal(&waiter->cond);
  pthread_mutex_unlock(&waiter->mutex);
}

/* SurrealDB's kind, details and cause reach C: for a call, during an async
   call's callback, and for each statement of a query. */
static void structured_errors(SurrealDatabase *db) {
  expect(db, "create", "[dup:1]", "[[{ id: dup:1 }]]");
  expect_error(db, "create", "[dup:1]", SURREAL_ERR_QUERY, "already exists");
  char *details = last_error_details();
  CHECK(details != NULL && strstr(details, "kind: 'AlreadyExists'") != NULL &&
            strstr(details, "details: { details: { id: 'dup:1' }, kind: 'Record' }") != NULL,
        "details of a duplicate: %s", details ? details : "(none)");
  free(details);
  /* Reading them does not clear them (rendering them as text, a call of
     its own, does). */
  expect_error(db, "create", "[dup:1]", SURREAL_ERR_QUERY, "already exists");
  uint8_t *first = NULL, *second = NULL;
  size_t first_len = 0, second_len = 0;
  CHECK(surreal_get_last_error_details(&first, &first_len) == SURREAL_OK &&
            surreal_get_last_error_details(&second, &second_len) == SURREAL_OK &&
            first != NULL && second != NULL && first_len == second_len &&
            memcmp(first, second, first_len) == 0,
        "the details are read again");
  surreal_buffer_free(first, first_len);
  surreal_buffer_free(second, second_len);
  /* A success clears them. */
  expect(db, "run", "['string::len', ['ok']]", "[2]");
  details = last_error_details();
  CHECK(details == NULL, "details after a success: %s", details);
  free(details);

  /* An error of the library's own has a kind too. */
  expect_error(db, "select", "['not : a : resource']", SURREAL_ERR_INVALID_ARGUMENT, "");
  details = last_error_details();
  CHECK(details != NULL && strstr(details, "kind: 'Validation'") != NULL,
        "the library's own error: %s", details ? details : "(none)");
  free(details);

  /* Each statement's error. */
  uint8_t *params = NULL;
  size_t len = 0;
  surreal_value_parse("[\"RETURN 1; THROW 'boom'\"]", &params, &len);
  SurrealResponse *response = execute(db, NULL, "query", params, len, NULL);
  surreal_buffer_free(params, len);
  CHECK(response != NULL, "query with a THROW");
  if (response != NULL) {
    uint8_t *data = NULL;
    size_t data_len = 0;
    CHECK(surreal_response_cbor(response, SURREAL_RESPONSE_ERRORS, &data, &data_len) == SURREAL_OK,
          "errors_cbor");
    char *sql = surreal_value_render(data, data_len, SURREAL_FORMAT_SQL);
    CHECK(sql != NULL && strncmp(sql, "[NONE, {", 8) == 0 &&
              strstr(sql, "kind: 'Thrown'") != NULL && strstr(sql, "boom") != NULL,
          "statement errors: %s", sql ? sql : "(none)");
    surreal_free_string(sql);
    surreal_buffer_free(data, data_len);
    surreal_response_free(response);
  }

  /* During an async callback, on the runtime thread. */
  surreal_value_parse("[dup:1]", &params, &len);
  struct Waiter waiter = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 1, NULL};
  int32_t status =
      surreal_db_execute(db, NULL, "create", params, len, NULL, NULL, NULL, on_failed, &waiter);
  surreal_buffer_free(params, len);
  CHECK(status == SURREAL_OK, "call_async: %d", status);
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 60;
  pthread_mutex_lock(&waiter.mutex);
  while (!waiter.done &&
         pthread_cond_timedwait(&waiter.cond, &waiter.mutex, &deadline) == 0) {
  }
  CHECK(waiter.done && waiter.status == SURREAL_ERR_QUERY, "async create: %d", waiter.status);
  CHECK(waiter.details != NULL && strstr(waiter.details, "kind: 'AlreadyExists'") != NULL,
        "details in the callback: %s", waiter.details ? waiter.details : "(none)");
  pthread_mutex_unlock(&waiter.mutex);
  free(waiter.details);
}

/* A transaction by id: its writes unseen outside until commit; what cannot
   run inside it refused; a second commit refused. */
static void transactions(SurrealDatabase *db) {
  char *id = call(db, "begin", NULL); /* "[u'...']", as commit's arguments */
  CHECK(id != NULL && strncmp(id, "[u'", 3) == 0, "begin: %s", id ? id : "failed");
  if (id == NULL) return;
  /* The id's 16 bytes, from the response's CBOR: [tag 37 bytes(16)]. */
  uint8_t *cbor = NULL;
  size_t len = 0;
  surreal_value_parse(id, &cbor, &len);
  CHECK(len == 20 && cbor[1] == 0xd8 && cbor[2] == 37 && cbor[3] == 0x50, "uuid CBOR");
  uint8_t txn[16];
  memcpy(txn, cbor + 4, sizeof txn);
  surreal_buffer_free(cbor, len);

  surreal_value_parse("[person:tx, { n: 1 }]", &cbor, &len);
  SurrealResponse *created = execute(db, txn, "create", cbor, len, NULL);
  surreal_buffer_free(cbor, len);
  CHECK(created != NULL, "create in the transaction");
  surreal_response_free(created);
  expect(db, "select", "[person:tx]", "[[]]");
  SurrealResponse *refused = execute(db, txn, "version", NULL, 0, NULL);
  CHECK(refused == NULL && surreal_get_last_error_code() == SURREAL_ERR_INVALID_ARGUMENT,
        "version inside a transaction");
  expect(db, "commit", id, "[NONE]");
  expect(db, "select", "[person:tx]", "[[{ id: person:tx, n: 1 }]]");
  expect_error(db, "commit", id, SURREAL_ERR_INVALID_ARGUMENT, "no open transaction");
  free(id);
  id = call(db, "begin", NULL);
  expect(db, "cancel", id, "[NONE]");
  free(id);
}

/* What a notify callback saw. */
struct Notes {
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  int notifications;
  int ends;
};

static void on_notify(void *context, const uint8_t *notification, size_t len) {
  struct Notes *notes = context;
  pthread_mutex_lock(&notes->mutex);
  if (notification == NULL) {
    notes->ends++;
  } else {
    char *sql = surreal_value_render(notification, len, SURREAL_FORMAT_SQL);
    /* [action, record, data, id]: 0 create, of person:live */
    if (sql != NULL && strncmp(sql, "[0, person:live, ", 17) == 0) notes->notifications++;
    surreal_free_string(sql);
  }
  pthread_cond_signal(&notes->cond);
  pthread_mutex_unlock(&notes->mutex);
}

static void live_queries(SurrealDatabase *db) {
  free(call(db, "query", "['DEFINE TABLE IF NOT EXISTS person']"));
  struct Notes notes = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
  SurrealStream stream = {.notify = on_notify, .context = &notes};
  int32_t status = 0;
  char *id = call_stream(db, "live", "['person']", &stream, &status);
  CHECK(id != NULL && strncmp(id, "[u'", 3) == 0, "live: %s (%d)", id ? id : "failed", status);
  if (id == NULL) return;
  expect(db, "create", "[person:live]", "[[{ id: person:live }]]");
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 60;
  pthread_mutex_lock(&notes.mutex);
  while (notes.notifications == 0 &&
         pthread_cond_timedwait(&notes.cond, &notes.mutex, &deadline) == 0) {
  }
  pthread_mutex_unlock(&notes.mutex);
  expect(db, "kill", id, "[NONE]");
  pthread_mutex_lock(&notes.mutex);
  CHECK(notes.notifications == 1 && notes.ends == 1, "live: %d notifications, %d ends",
        notes.notifications, notes.ends);
  pthread_mutex_unlock(&notes.mutex);
  expect_error(db, "kill", id, SURREAL_ERR_INVALID_ARGUMENT, "no live query");
  free(id);

  /* A live call that fails still ends its stream, once; one without a
     notify callback is refused. */
  struct Notes failed = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
  SurrealStream failing = {.notify = on_notify, .context = &failed};
  CHECK(call_stream(db, "live_query", "['SELECT * FROM person']", &failing, &status) == NULL &&
            status == SURREAL_ERR_INVALID_ARGUMENT,
        "live_query without LIVE: %d", status);
  CHECK(call_stream(db, "live", "[1, 2, 3]", &failing, &status) == NULL,
        "live with bad arguments");
  CHECK(failed.notifications == 0 && failed.ends == 2, "failed lives: %d ends", failed.ends);
  expect_error(db, "live", "['person']", SURREAL_ERR_INVALID_ARGUMENT, "notify callback");
}

int main(int argc, char **argv) {
  char dir[] = "/tmp/surrealcpp-c-call-XXXXXX";
  if (mkdtemp(dir) == NULL) return 1;
  (void)argc;
  (void)argv;
  SurrealDatabase *db = surreal_db_new("mem://");
  if (db == NULL || surreal_db_connect(db) != SURREAL_OK ||
      surreal_db_use_ns(db, "test") != SURREAL_OK ||
      surreal_db_use_db(db, "test") != SURREAL_OK) {
    fprintf(stderr, "cannot open mem://\n");
    return 1;
  }
  record_verbs(db);
  functions_and_facts(db);
  refused_arguments(db);
  export_and_import(db, dir);
  asynchronous_call(db);
  structured_errors(db);
  transactions(db);
  live_queries(db);
  CHECK(surreal_db_close(db) == SURREAL_OK, "close");
  authentication_and_sessions();

  char command[128];
  snprintf(command, sizeof command, "rm -rf %s", dir);
  if (system(command) != 0) fprintf(stderr, "could not remove %s\n", dir);
  if (failures > 0) {
    fprintf(stderr, "call_test: %d check(s) failed\n", failures);
    return 1;
  }
  printf("call_test: all checks passed\n");
  return 0;
}
