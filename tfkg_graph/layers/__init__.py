"""Keras 3 layers over tfkg_graph's builder: call them on ``Input`` tensors to wire a model."""
from .activation import ELU, LeakyReLU, PReLU, ReLU, Softmax
from .attention import MultiHeadAttention
from .base import Input, InputLayer, KerasTensor, Layer, Weight, clear_session
from .convolutional import Conv1D, Conv2D, Conv2DTranspose
from .core import (Activation, Dense, Dropout, Embedding, Flatten, Identity, Lambda, Masking, Reshape,
                   SpatialDropout1D, SpatialDropout2D)
from .merging import (Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract, add, average, concatenate,
                      maximum, minimum, multiply, subtract)
from .normalization import BatchNormalization, LayerNormalization
from .bidirectional import Bidirectional
from .recurrent import GRU, LSTM, SimpleRNN
from .pooling import (AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D, GlobalAveragePooling2D,
                      GlobalMaxPooling1D, GlobalMaxPooling2D, MaxPooling1D, MaxPooling2D)
from .preprocessing import Normalization, Rescaling
from .reshaping import (Cropping1D, Cropping2D, Permute, RepeatVector, UpSampling1D, UpSampling2D, ZeroPadding1D,
                        ZeroPadding2D)
from .wrappers import TimeDistributed
from .registry import LAYERS, deserialize, serialize  # the table the classes below go into

LAYERS.update({cls.__name__: cls for cls in (
    InputLayer, Dense, Activation, Dropout, Flatten, Reshape, Embedding, Add, Subtract, Multiply, Average,
    Maximum, Minimum, Concatenate, BatchNormalization, LayerNormalization, GlobalAveragePooling1D,
    GlobalMaxPooling1D, Conv1D, Conv2D, MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D,
    GlobalAveragePooling2D, GlobalMaxPooling2D)})

LAYERS.update({cls.__name__: cls for cls in (SimpleRNN, LSTM, GRU, Bidirectional)})
LAYERS.update({cls.__name__: cls for cls in (
    ReLU, LeakyReLU, ELU, Softmax, PReLU, Masking, Identity, SpatialDropout1D, SpatialDropout2D, RepeatVector,
    Permute, ZeroPadding1D, ZeroPadding2D, Cropping1D, Cropping2D, UpSampling1D, UpSampling2D, TimeDistributed,
    Conv2DTranspose, MultiHeadAttention, Lambda, Normalization, Rescaling)})


__all__ = ["Input", "InputLayer", "KerasTensor", "Layer", "Weight", "clear_session", *LAYERS, "deserialize",
           "serialize", "add", "average", "concatenate", "maximum", "minimum", "multiply", "subtract"]

# ---- issue 19 (layers branch): more of keras.layers ----------------------------------------------
from .dot import Dot, dot  # noqa: E402
from .noise import ActivityRegularization, AlphaDropout, GaussianDropout, GaussianNoise, SpatialDropout3D  # noqa: E402
from .normalization_groups import GroupNormalization, RMSNormalization, UnitNormalization  # noqa: E402
from .reshaping3d import Cropping3D, UpSampling3D, ZeroPadding3D  # noqa: E402

LAYERS.update({cls.__name__: cls for cls in (
    Dot, ActivityRegularization, AlphaDropout, GaussianDropout, GaussianNoise, SpatialDropout3D, GroupNormalization,
    RMSNormalization, UnitNormalization, Cropping3D, UpSampling3D, ZeroPadding3D)})
# Keras' other names for the same classes
AvgPool1D, AvgPool2D, MaxPool1D, MaxPool2D = AveragePooling1D, AveragePooling2D, MaxPooling1D, MaxPooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
Convolution1D, Convolution2D, Convolution2DTranspose = Conv1D, Conv2D, Conv2DTranspose
ALIASES = ["AvgPool1D", "AvgPool2D", "MaxPool1D", "MaxPool2D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalMaxPool1D",
           "GlobalMaxPool2D", "Convolution1D", "Convolution2D", "Convolution2DTranspose"]
__all__ += [*sorted(LAYERS.keys() - set(__all__)), *ALIASES, "dot"]
from .attention_dot import AdditiveAttention, Attention  # noqa: E402

LAYERS.update({cls.__name__: cls for cls in (Attention, AdditiveAttention)})
__all__ += ["Attention", "AdditiveAttention"]
from .category_encoding import CategoryEncoding  # noqa: E402

LAYERS["CategoryEncoding"] = CategoryEncoding
__all__ += ["CategoryEncoding"]

# ---- issue 19 (layers-conv branch): 3-D, transposed, depthwise, separable and adaptive layers ------
from .convolutional_3d import (Conv1DTranspose, Conv3D, Conv3DTranspose, Convolution1DTranspose,  # noqa: E402
                               Convolution3D, Convolution3DTranspose)
from .convolutional_separable import (DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D,  # noqa: E402
                                      SeparableConv2D, SeparableConvolution1D, SeparableConvolution2D)
from .pooling_3d import (AveragePooling3D, AvgPool3D, GlobalAveragePooling3D, GlobalAvgPool3D,  # noqa: E402
                         GlobalMaxPool3D, GlobalMaxPooling3D, MaxPool3D, MaxPooling3D)
from .pooling_adaptive import (AdaptiveAveragePooling1D, AdaptiveAveragePooling2D,  # noqa: E402
                               AdaptiveAveragePooling3D, AdaptiveMaxPooling1D, AdaptiveMaxPooling2D,
                               AdaptiveMaxPooling3D)

CONV_POOL_LAYERS = (Conv1DTranspose, Conv3D, Conv3DTranspose, DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D,
                    SeparableConv2D, MaxPooling3D, AveragePooling3D, GlobalMaxPooling3D, GlobalAveragePooling3D,
                    AdaptiveAveragePooling1D, AdaptiveAveragePooling2D, AdaptiveAveragePooling3D,
                    AdaptiveMaxPooling1D, AdaptiveMaxPooling2D, AdaptiveMaxPooling3D)
LAYERS.update({cls.__name__: cls for cls in CONV_POOL_LAYERS})
CONV_POOL_ALIASES = ["Convolution1DTranspose", "Convolution3D", "Convolution3DTranspose", "SeparableConvolution1D",
                     "SeparableConvolution2D", "MaxPool3D", "AvgPool3D", "GlobalMaxPool3D", "GlobalAvgPool3D"]
__all__ += [cls.__name__ for cls in CONV_POOL_LAYERS] + CONV_POOL_ALIASES

# ---- issue 19 (layers-image branch): image preprocessing and numeric lookup layers ----------------
from .preprocessing_affine import (RandomElasticTransform, RandomPerspective, RandomRotation, RandomShear,  # noqa: E402
                                   RandomTranslation, RandomZoom)
from .preprocessing_clahe import ContrastLimitedAdaptiveHistogramEqualization  # noqa: E402
from .preprocessing_color import (RandomColorDegeneration, RandomColorJitter, RandomGaussianBlur, RandomHue,  # noqa: E402
                                  RandomSaturation, RandomSharpness)
from .preprocessing_image import AutoContrast, CenterCrop, Equalization, Resizing  # noqa: E402
from .preprocessing_lookup import Discretization, Hashing, IntegerLookup  # noqa: E402
from .preprocessing_random import (RandomBrightness, RandomContrast, RandomCrop, RandomErasing, RandomFlip,  # noqa: E402
                                   RandomGrayscale, RandomInvert, RandomPosterization, Solarization)

_IMAGE_LAYERS = (Resizing, CenterCrop, AutoContrast, RandomFlip, RandomCrop, RandomBrightness, RandomContrast,
                 Solarization, RandomGrayscale, RandomInvert, RandomPosterization, RandomTranslation, RandomRotation,
                 RandomZoom, Discretization, IntegerLookup, Hashing, RandomColorDegeneration, RandomSaturation,
                 RandomHue, RandomSharpness, RandomShear, RandomGaussianBlur, RandomColorJitter,
                 RandomPerspective, RandomErasing, Equalization, RandomElasticTransform,
                 ContrastLimitedAdaptiveHistogramEqualization)
LAYERS.update({cls.__name__: cls for cls in _IMAGE_LAYERS})
__all__ += [cls.__name__ for cls in _IMAGE_LAYERS]

from .rnn import RNN  # noqa: E402
from .rnn_cells import GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells  # noqa: E402

LAYERS.update({cls.__name__: cls for cls in (RNN, SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells)})
__all__ += ["RNN", "SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells"]
