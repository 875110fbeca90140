"""What runs a trained model's outputs into answers: greedy and beam search, sampling, Viterbi, scores."""
