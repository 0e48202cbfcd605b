"""PostgreSQL plan choice for statements whose best plan changes as the catalog grows.

asyncpg prepares each statement once per connection. After five runs PostgreSQL may
settle on a generic plan, made for the table as it was -- a sequential scan while
`catalog_entries` held a few dozen rows -- and keep it until autovacuum next analyzes the
table (it looks once a minute). A generic plan is also blind to how common a searched
word is. Statements that must fit the table as it is now run after `CUSTOM_PLANS` in
their transaction (ADR catalog-0010): the add path's look-ups, the change feed, searches
with words or filters. Custom plans cost some 10 us of planning each; inserts keep their
generic plans (custom ones would re-plan every row of an executemany), so the add path
sets `DEFAULT_PLANS` again after its look-ups (`catalog.pgwrite` from within its look-up).
"""

CUSTOM_PLANS = "SET LOCAL plan_cache_mode = force_custom_plan"
DEFAULT_PLANS = "SET LOCAL plan_cache_mode = DEFAULT"
