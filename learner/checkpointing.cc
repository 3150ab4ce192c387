#include "learner/checkpointing.h"

#include <functional>
#include <memory>
#include <utility>

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/functions/utils.h>
#include <torch/torch.h>

#include "model/decoder.h"  // the decoder's layers: model-private, used only here

namespace zerorl::learner {
namespace {

using LayerCall = std::function<torch::Tensor(const torch::Tensor&)>;

// The backward node of one checkpointed call: recomputes it with autograd on, then
// back-propagates the incoming gradient through the recomputed graph.
class RecomputeNode : public torch::autograd::Node {
 public:
  RecomputeNode(LayerCall call, torch::Tensor input, torch::autograd::edge_list&& next_edges)
      : torch::autograd::Node(std::move(next_edges)),
        call_(std::move(call)),
        input_(std::move(input)) {}

  torch::autograd::variable_list apply(torch::autograd::variable_list&& grads) override {
    torch::Tensor x = input_.detach().requires_grad_(true);
    torch::Tensor y;
    {
      torch::AutoGradMode grad_on(true);
      y = call_(x);
    }
    torch::autograd::backward({y}, {grads[0]});
    torch::Tensor gx = x.grad();
    input_ = torch::Tensor();  // recomputed once; free the activation
    return {gx.defined() ? gx : torch::zeros_like(x)};
  }

  std::string name() const override { return "zerorl::learner::RecomputeNode"; }

 private:
  LayerCall call_;
  torch::Tensor input_;
};

torch::Tensor Checkpointed(LayerCall call, const torch::Tensor& input) {
  torch::Tensor output;
  {
    torch::NoGradGuard no_grad;
    output = call(input);
  }
  if (!torch::GradMode::is_enabled() || !input.requires_grad()) return output;
  auto node = std::make_shared<RecomputeNode>(std::move(call), input,
                                              torch::autograd::collect_next_edges(input));
  torch::autograd::create_gradient_edge(output, std::move(node));
  return output;
}

}  // namespace

torch::Tensor CheckpointedForwardHidden(model::CausalLMImpl& model, const torch::Tensor& input_ids,
                                        const torch::Tensor& sequence_ids) {
  std::shared_ptr<model::DecoderImpl> decoder;
  for (const auto& child : model.named_children()) {
    if (child.key() == "model") decoder = std::dynamic_pointer_cast<model::DecoderImpl>(child.value());
  }
  TORCH_CHECK(decoder != nullptr, "CheckpointedForwardHidden: the model has no \"model\" decoder");
  const torch::Device device = model.device();
  torch::Tensor ids = input_ids.to(device, torch::kLong);
  const int64_t rows = ids.size(0), cols = ids.size(1);
  torch::Tensor positions = torch::arange(cols, ids.options()).unsqueeze(0).expand({rows, cols});
  torch::Tensor sequences =
      sequence_ids.defined() ? sequence_ids.to(device, torch::kLong) : torch::ones_like(ids);
  auto ctx = std::make_shared<model::ForwardContext>(decoder->SequenceContext(positions, sequences));
  torch::Tensor h = decoder->embed_tokens(ids);
  for (const auto& layer : *decoder->layers) {
    auto impl = std::dynamic_pointer_cast<model::DecoderLayerImpl>(layer);
    h = Checkpointed([impl, ctx](const torch::Tensor& x) { return impl->forward(x, *ctx); }, h);
  }
  return decoder->norm(h);
}

}  // namespace zerorl::learner
