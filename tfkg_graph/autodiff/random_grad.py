"""Random draws added by ``tfkg_graph.random`` beyond the basic three: no gradient flows through them
(alpha of RandomGamma is a constant here; a shuffle's permutation is not differentiable in TF either)."""
from .gradients import not_differentiable

not_differentiable("RandomGamma", "Multinomial", "RandomShuffle")
