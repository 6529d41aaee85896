-- api: the whole API as installed (every function with its signature,
-- properties and EXECUTE holders, the types, catalog tables, sequences and
-- settings), printed as the Markdown of docs/api.md.  Any change to the API
-- changes this output: regenerate docs/api.md with scripts/api-reference.sh
-- and take results/api.out, once read, as expected/api.out.
-- The query, scripts/api-reference.sql, sets :api; it is not echoed here.
\set ECHO none
\i scripts/api-reference.sql
\set ECHO all
\echo :api

-- docs/api.md is this text
\set docs_api_md `cat docs/api.md`
SELECT :'api' = :'docs_api_md' AS docs_api_md_is_current;
