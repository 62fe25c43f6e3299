"""`tracker bench`: a synthetic world (`synthetic`), the measurements (`runner`) and one module
per baseline measured in the same run (`duckdb_baseline`). An optional extra (`[bench]`),
never on the query path: the engine imports nothing from here.
"""
