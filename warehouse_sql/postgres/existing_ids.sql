SELECT t."id" FROM {target} AS t JOIN {ids} AS s ON t."id" = s."id"
