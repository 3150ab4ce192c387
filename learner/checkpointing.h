// Activation (gradient) checkpointing for the learner's forward: each decoder layer runs
// without keeping its intermediate activations, and runs again during backward to get
// them, trading ~1/3 more compute for memory that no longer grows with the layer count
// times the activations of a layer.
//
// This is PyTorch's reentrant torch.utils.checkpoint applied per layer: the forward runs
// under NoGradGuard, and a custom autograd node recomputes the layer with autograd on and
// back-propagates through it, accumulating the layer's parameter gradients and returning
// the input's.
#ifndef ZERORL_LEARNER_CHECKPOINTING_H_
#define ZERORL_LEARNER_CHECKPOINTING_H_

#include <torch/types.h>

#include "model/transformer.h"

namespace zerorl::learner {

// CausalLMImpl::ForwardHidden(input_ids, {}, sequence_ids) with every decoder layer
// checkpointed: the same values, [B, T, H] in the model's dtype.
torch::Tensor CheckpointedForwardHidden(model::CausalLMImpl& model,
                                        const torch::Tensor& input_ids,      // [B, T] int64
                                        const torch::Tensor& sequence_ids);  // [B, T] int64

}  // namespace zerorl::learner

#endif  // ZERORL_LEARNER_CHECKPOINTING_H_
