"""seqzoo results: the record schema, the store, and tables drawn from it. Knows no Keras."""
