"""BERT-base and GPT-2 small written with plain torch.nn modules, for ONNX export.

Nothing can be downloaded here (no HuggingFace), so export_models.py builds the two language models from these
classes. They follow the reference implementations layer for layer (sizes, LayerNorm epsilons, GELU flavours,
post-LN vs pre-LN blocks, tied LM head), but drop everything an inference graph does not need: dropout, the BERT
pooler, padding masks and KV caches. Attention is spelled out (q/k/v projections, head split, MatMul, scale,
Softmax, MatMul, head merge) so that the exported graph shows the plain ONNX operators an engine has to implement
rather than a fused attention module.

Weights are initialised as the reference implementations do (normal with std 0.02, zero biases, unit LayerNorm);
export_models.py replaces the constant ones with seeded random values afterwards.
"""

import math
from dataclasses import dataclass

import torch
from torch import nn

# The reference implementations draw every weight matrix from N(0, 0.02) (their "initializer_range").
INIT_STD = 0.02


@dataclass(frozen=True)
class TransformerConfig:
    vocab_size: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    max_positions: int
    layer_norm_eps: float


BERT_BASE = TransformerConfig(vocab_size=30522, hidden=768, layers=12, heads=12, ffn=3072, max_positions=512,
                              layer_norm_eps=1e-12)
GPT2_SMALL = TransformerConfig(vocab_size=50257, hidden=768, layers=12, heads=12, ffn=3072, max_positions=1024,
                               layer_norm_eps=1e-5)


class SelfAttention(nn.Module):
    """Multi-head scaled dot-product self-attention, optionally causal."""

    def __init__(self, config: TransformerConfig, causal: bool):
        super().__init__()
        self.heads = config.heads
        self.head_dim = config.hidden // config.heads
        self.query = nn.Linear(config.hidden, config.hidden)
        self.key = nn.Linear(config.hidden, config.hidden)
        self.value = nn.Linear(config.hidden, config.hidden)
        self.output = nn.Linear(config.hidden, config.hidden)
        if causal:
            # GPT-2 keeps a lower-triangular mask for its whole context and slices it to the sequence; with static
            # shapes the exporter folds the slice into one [1, 1, seq, seq] boolean constant.
            mask = torch.tril(torch.ones(config.max_positions, config.max_positions, dtype=torch.bool))
            self.register_buffer("causal_mask", mask.view(1, 1, config.max_positions, config.max_positions),
                                 persistent=False)
        else:
            self.causal_mask = None

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        """[batch, seq, hidden] -> [batch, heads, seq, head_dim]"""
        batch, seq, _ = x.shape
        return x.view(batch, seq, self.heads, self.head_dim).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q = self.split_heads(self.query(x))
        k = self.split_heads(self.key(x))
        v = self.split_heads(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        if self.causal_mask is not None:
            seq = x.shape[1]
            # The most negative float rather than -inf (as GPT-2 does): the graph then holds no infinities.
            scores = scores.masked_fill(~self.causal_mask[:, :, :seq, :seq], torch.finfo(scores.dtype).min)
        context = torch.matmul(scores.softmax(dim=-1), v)
        batch, _, seq, _ = context.shape
        merged = context.transpose(1, 2).reshape(batch, seq, self.heads * self.head_dim)
        return self.output(merged)


class FeedForward(nn.Sequential):
    def __init__(self, config: TransformerConfig, activation: nn.Module):
        super().__init__(nn.Linear(config.hidden, config.ffn), activation, nn.Linear(config.ffn, config.hidden))


class BertLayer(nn.Module):
    """Post-LayerNorm encoder block: x = LN(x + attn(x)); x = LN(x + ffn(x))."""

    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.attention = SelfAttention(config, causal=False)
        self.attention_norm = nn.LayerNorm(config.hidden, eps=config.layer_norm_eps)
        self.ffn = FeedForward(config, nn.GELU())  # BERT's exact (erf) GELU
        self.ffn_norm = nn.LayerNorm(config.hidden, eps=config.layer_norm_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.attention_norm(x + self.attention(x))
        return self.ffn_norm(x + self.ffn(x))


class Gpt2Block(nn.Module):
    """Pre-LayerNorm decoder block: x = x + attn(LN(x)); x = x + ffn(LN(x))."""

    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.attention_norm = nn.LayerNorm(config.hidden, eps=config.layer_norm_eps)
        self.attention = SelfAttention(config, causal=True)
        self.ffn_norm = nn.LayerNorm(config.hidden, eps=config.layer_norm_eps)
        self.ffn = FeedForward(config, nn.GELU(approximate="tanh"))  # GPT-2's "gelu_new"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attention(self.attention_norm(x))
        return x + self.ffn(self.ffn_norm(x))


def init_weights(module: nn.Module) -> None:
    """The reference initialisation: N(0, 0.02) matrices and embeddings, zero biases, unit LayerNorm."""
    if isinstance(module, (nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, std=INIT_STD)
    if isinstance(module, nn.Linear):
        nn.init.zeros_(module.bias)
    if isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


class BertModel(nn.Module):
    """BERT encoder: input_ids [batch, seq] int64 -> last hidden state [batch, seq, hidden].

    A single unpadded segment: every token has token type 0 and there is no attention mask.
    """

    def __init__(self, config: TransformerConfig = BERT_BASE):
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden)
        self.position_embeddings = nn.Embedding(config.max_positions, config.hidden)
        self.token_type_embeddings = nn.Embedding(2, config.hidden)
        self.embedding_norm = nn.LayerNorm(config.hidden, eps=config.layer_norm_eps)
        self.layers = nn.ModuleList(BertLayer(config) for _ in range(config.layers))
        self.apply(init_weights)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        seq = input_ids.shape[1]
        # Position and token-type lookups have constant indices, so the exporter folds them into constants.
        positions = torch.arange(seq, device=input_ids.device).unsqueeze(0)
        token_types = torch.zeros_like(positions)
        x = (self.word_embeddings(input_ids) + self.token_type_embeddings(token_types)
             + self.position_embeddings(positions))
        x = self.embedding_norm(x)
        for layer in self.layers:
            x = layer(x)
        return x


class Gpt2Model(nn.Module):
    """GPT-2 with its LM head: input_ids [batch, seq] int64 -> logits [batch, seq, vocab]."""

    def __init__(self, config: TransformerConfig = GPT2_SMALL):
        super().__init__()
        self.token_embeddings = nn.Embedding(config.vocab_size, config.hidden)
        self.position_embeddings = nn.Embedding(config.max_positions, config.hidden)
        self.blocks = nn.ModuleList(Gpt2Block(config) for _ in range(config.layers))
        self.final_norm = nn.LayerNorm(config.hidden, eps=config.layer_norm_eps)
        self.apply(init_weights)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(input_ids.shape[1], device=input_ids.device).unsqueeze(0)
        x = self.token_embeddings(input_ids) + self.position_embeddings(positions)
        for block in self.blocks:
            x = block(x)
        x = self.final_norm(x)
        # Tied LM head, computed as (E @ x^T)^T rather than x @ E^T: the exporter would constant-fold E^T into a
        # second 154 MB copy of the embedding matrix, whereas this form reads the one the Gather already uses.
        return torch.matmul(self.token_embeddings.weight, x.transpose(1, 2)).transpose(1, 2)
