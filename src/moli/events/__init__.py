"""Events and competitions (活动与赛事): an event calendar with registration and roadshow slots, and
competitions with hidden test sets, quotas, sandboxed scoring, leaderboards and expert-judged tracks."""
