"""What turns raw examples into model inputs: vocabularies, length-bucketed batches, starting word vectors."""
