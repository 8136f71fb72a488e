"""Failed enrollments: nothing may stay ACTIVE without a trace. An execution that fails (an
unexpected error in an action, or a dead execution) ends its enrollment FAILED with an ERROR log
entry; a retry resumes it from the failed step."""
