/* Shared main() for the Check unit-test programs: each tests/unit/test_*.c
 * defines one suite and ends with CHECK_MAIN(its_suite_function). */
#ifndef GRADER_CHECK_MAIN_H
#define GRADER_CHECK_MAIN_H
#include <check.h>
#include <stdlib.h>

#define CHECK_MAIN(suite_fn)                                                                                           \
    int main(void)                                                                                                     \
    {                                                                                                                  \
        SRunner *runner = srunner_create(suite_fn());                                                                  \
        srunner_run_all(runner, CK_NORMAL);                                                                            \
        int failed = srunner_ntests_failed(runner);                                                                    \
        srunner_free(runner);                                                                                          \
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;                                                              \
    }
#endif
