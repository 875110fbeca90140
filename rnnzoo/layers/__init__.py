"""Every custom Keras object of rnnzoo, registered in one place.

Importing this package registers them all (`keras.saving.register_keras_serializable`),
so a `.keras` file that holds them loads with `safe_mode=True`. The text layers need
TensorFlow (tf.strings), so they are registered under the TensorFlow backend only.
"""

import keras

from rnnzoo.layers.crf import CRF, CRFLoss, bind_crf_loss, sequence_log_likelihood
from rnnzoo.layers.recurrent import GRU, LSTM, RightPaddedFastPath, reverse_within_length
from rnnzoo.layers.sequence import (
    ConcatenateFeatures, LastRealStep, MaskedMaxOverCharacters, MaskedPooling1D, RepeatAlongTime, ZeroPaddingCharacters, masked_max,
)

if keras.backend.backend() == "tensorflow":
    from rnnzoo.layers import text  # registers TextToIds, CharsToIds, LastStepSoftmax

__all__ = [
    "CRF", "CRFLoss", "ConcatenateFeatures", "GRU", "LSTM", "LastRealStep", "MaskedMaxOverCharacters", "MaskedPooling1D",
    "RepeatAlongTime", "RightPaddedFastPath", "ZeroPaddingCharacters", "bind_crf_loss", "masked_max",
    "reverse_within_length", "sequence_log_likelihood", "text",
]
