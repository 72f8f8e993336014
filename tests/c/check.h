/*
 * The C tests' one assertion: CHECK(condition, printf-style message) reports
 * a failed condition on stderr with its place and counts it in `failures`;
 * main() then exits non-zero if any failed. Each test is one source file,
 * so the counter is static to it.
 */
#ifndef SURREALCPP_TESTS_C_CHECK_H
#define SURREALCPP_TESTS_C_CHECK_H

#include <stdio.h>

static int failures = 0;

#define CHECK(condition, ...)                                                  \
  do {                                                                         \
    if (!(condition)) {                                                        \
      fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__,        \
              #condition);                                                     \
      fprintf(stderr, __VA_ARGS__);                                            \
      fputc('\n', stderr);                                                     \
      failures++;                                                              \
    }                                                                          \
  } while (0)

#endif
