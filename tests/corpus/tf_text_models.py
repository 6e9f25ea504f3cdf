"""Corpus models with tensorflow_text tokenizers in serve (library "tf_text").

The tokenizers are custom ops (`custom_op_modules=("tensorflow_text",)`): they run in the CPU
part (`serve`); `tpu_func` is a small encoder (embedding + positions + one self-attention
layer + pooled dense head) over fixed-length ids and a mask. Weights from fixed seeds.
"""
from __future__ import annotations

import numpy as np

from tests.corpus import CorpusModel
from tests.corpus._util import asset_files, rng, save_aliased, sentences, tf

SEQ, D = 16, 32
CUSTOM = ("tensorflow_text",)

WORDPIECE = list(dict.fromkeys(  # unique tokens, first wins
    ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
    + ("the a an of to and is was it this movie film great good bad plot act story music "
       "end fun slow quick brown fox jump dog lazy over run".split())
    + ["##ing", "##s", "##ed", "##er", "##ly", "##y"]
    + list("abcdefghijklmnopqrstuvwxyz.,!?")
    + ["##" + c for c in "abcdefghijklmnopqrstuvwxyz"]))
PAD, UNK, CLS, SEP = 0, 1, 2, 3
TEXT_WORDS = ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "movie", "was", "boring",
              "acting", "great", "story", "ended", "slowly", "funny"]


def _text():
    import tensorflow_text as text
    return text


class _EncoderWeights:
    """Variables of the shared small encoder, set on a tf.Module."""

    @staticmethod
    def add(module, t, vocab, n_out, salt):
        r = rng(0, salt)

        def w(*shape, scale=None):
            s = 1.0 / np.sqrt(shape[-2] if len(shape) > 1 else shape[0]) if scale is None else scale
            return t.Variable((r.standard_normal(shape) * s).astype(np.float32))

        module.emb = w(vocab, D, scale=0.5)
        module.pos = w(SEQ, D, scale=0.1)
        module.qkv = w(D, 3 * D)
        module.o = w(D, D)
        module.ff1, module.ff2 = w(D, 2 * D), w(2 * D, D)
        module.head = w(D, n_out)


def encode(m, t, ids, mask):
    """Embedding + positions, one 2-head masked self-attention layer, FFN, masked mean, head."""
    x = t.nn.embedding_lookup(m.emb, ids) + m.pos
    q, k, v = t.split(t.einsum("bld,de->ble", x, m.qkv), 3, axis=-1)
    split = lambda a: t.transpose(t.reshape(a, [-1, SEQ, 2, D // 2]), [0, 2, 1, 3])
    scores = t.matmul(split(q), split(k), transpose_b=True) / np.sqrt(D // 2)
    maskf = t.cast(mask, t.float32)
    scores += (1.0 - maskf[:, None, None, :]) * -1e9
    ctx = t.reshape(t.transpose(t.matmul(t.nn.softmax(scores), split(v)), [0, 2, 1, 3]), [-1, SEQ, D])
    x = x + t.einsum("bld,de->ble", ctx, m.o)
    x = x + t.einsum("blf,fd->bld", t.nn.relu(t.einsum("bld,df->blf", x, m.ff1)), m.ff2)
    pooled = t.reduce_sum(x * maskf[..., None], 1) / t.maximum(t.reduce_sum(maskf, 1, keepdims=True), 1.0)
    return t.matmul(t.tanh(pooled), m.head)


def _module(t, vocab, n_out, salt):
    class TextModel(t.Module):
        def __init__(self):
            super().__init__()
            _EncoderWeights.add(self, t, vocab, n_out, salt)

        @t.function(input_signature=[t.TensorSpec([None, SEQ], t.int32), t.TensorSpec([None, SEQ], t.int32)])
        def tpu_func(self, ids, mask):
            return encode(self, t, ids, mask)

    return TextModel


# ---- BertTokenizer over a vocabulary asset, BERT-style segment packing ---------------------
def build_bert_tokenizer(path):
    t = tf()
    text = _text()
    with asset_files(vocab=WORDPIECE) as files:
        base = _module(t, len(WORDPIECE), 3, 40)

        class BertClassifier(base):
            def __init__(self):
                super().__init__()
                self.tokenizer = text.BertTokenizer(files["vocab"], lower_case=True,
                                                    token_out_type=t.int64)
                self.trimmer = text.WaterfallTrimmer(SEQ - 2)

            @t.function(input_signature=[t.TensorSpec([None], t.string)])
            def serve(self, text_in):
                pieces = self.tokenizer.tokenize(text_in).merge_dims(-2, -1)
                trimmed = self.trimmer.trim([pieces])
                ids, _ = text.combine_segments(trimmed, start_of_sequence_id=CLS, end_of_segment_id=SEP)
                ids, mask = text.pad_model_inputs(ids, max_seq_length=SEQ, pad_value=PAD)
                logits = self.tpu_func(t.cast(ids, t.int32), t.cast(mask, t.int32))
                return {"logits": logits, "token_ids": ids}

        save_aliased(BertClassifier(), path)


def inputs_text(seed):
    return {"text_in": sentences(seed, TEXT_WORDS, 2, 4, 12)}


# ---- FastWordpieceTokenizer (end-to-end: pre-tokenizes itself), vocabulary in the model ----
def build_fast_wordpiece(path):
    t = tf()
    text = _text()
    base = _module(t, len(WORDPIECE), 2, 41)

    class FastWordpiece(base):
        def __init__(self):
            super().__init__()
            self.tokenizer = text.FastWordpieceTokenizer(vocab=WORDPIECE, token_out_type=t.int64,
                                                         unknown_token="[UNK]", no_pretokenization=False)

        @t.function(input_signature=[t.TensorSpec([None], t.string)])
        def serve(self, text_in):
            lowered = text.case_fold_utf8(text_in)
            ids = self.tokenizer.tokenize(lowered)[:, :SEQ]
            ids, mask = text.pad_model_inputs(ids, max_seq_length=SEQ, pad_value=PAD)
            logits = self.tpu_func(t.cast(ids, t.int32), t.cast(mask, t.int32))
            return {"logits": logits, "n_tokens": t.reduce_sum(mask, axis=1)}

    save_aliased(FastWordpiece(), path)


# ---- WhitespaceTokenizer + bigrams + a vocabulary table with OOV buckets -------------------
UNIGRAMS = ["[PAD]"] + TEXT_WORDS
BIGRAMS = ["the quick", "quick brown", "brown fox", "lazy dog", "was boring", "great story"]


def build_whitespace(path):
    t = tf()
    text = _text()
    keys = UNIGRAMS + BIGRAMS
    base = _module(t, len(keys) + 4, 2, 42)

    class Whitespace(base):
        def __init__(self):
            super().__init__()
            self.tokenizer = text.WhitespaceTokenizer()
            init = t.lookup.KeyValueTensorInitializer(keys, np.arange(len(keys), dtype=np.int64))
            self.table = t.lookup.StaticVocabularyTable(init, num_oov_buckets=4)

        @t.function(input_signature=[t.TensorSpec([None], t.string)])
        def serve(self, text_in):
            clean = t.strings.regex_replace(text.case_fold_utf8(text.normalize_utf8(text_in, "NFKC")),
                                            r"[[:punct:]]", "")
            words = self.tokenizer.tokenize(clean)
            grams = t.concat([words, text.ngrams(words, 2, reduction_type=text.Reduction.STRING_JOIN)], axis=1)
            ids = self.table.lookup(grams)[:, :SEQ]
            ids, mask = text.pad_model_inputs(ids, max_seq_length=SEQ, pad_value=0)
            logits = self.tpu_func(t.cast(ids, t.int32), t.cast(mask, t.int32))
            return {"logits": logits, "ids": ids}

    save_aliased(Whitespace(), path)


# ---- UnicodeScriptTokenizer on multilingual text, hashed ids --------------------------------
HASH_BUCKETS = 1000


def build_unicode_script(path):
    t = tf()
    text = _text()
    base = _module(t, HASH_BUCKETS + 1, 4, 43)

    class UnicodeScript(base):
        def __init__(self):
            super().__init__()
            self.tokenizer = text.UnicodeScriptTokenizer()

        @t.function(input_signature=[t.TensorSpec([None], t.string)])
        def serve(self, text_in):
            tokens, starts, _ = self.tokenizer.tokenize_with_offsets(text.case_fold_utf8(text_in))
            ids = t.strings.to_hash_bucket_fast(tokens, HASH_BUCKETS)[:, :SEQ] + 1
            ids, mask = text.pad_model_inputs(ids, max_seq_length=SEQ, pad_value=0)
            logits = self.tpu_func(t.cast(ids, t.int32), t.cast(mask, t.int32))
            return {"logits": logits, "token_starts": starts.to_tensor(default_value=-1, shape=[None, SEQ])}

    save_aliased(UnicodeScript(), path)


def inputs_multilingual(seed):
    pool = ["Hello world, this is fine!", "Привет мир и всё", "Γειά σου κόσμε", "東京は晴れです。",
            "mixed Латиница and 漢字 42", "naïve café déjà vu"]
    r = rng(seed, 44)
    return {"text_in": np.array([pool[int(i)].encode("utf-8") for i in r.permutation(len(pool))[:3]], dtype=object)}


MODELS = [
    CorpusModel("tf_text.bert_tokenizer", "tf_text", build_bert_tokenizer, inputs_text, fast=True,
                custom_op_modules=CUSTOM, notes="BertTokenizer (vocab asset), trimmer, combine_segments"),
    CorpusModel("tf_text.fast_wordpiece", "tf_text", build_fast_wordpiece, inputs_text, fast=True,
                custom_op_modules=CUSTOM, notes="FastWordpieceTokenizer end-to-end, case_fold_utf8"),
    CorpusModel("tf_text.whitespace", "tf_text", build_whitespace, inputs_text,
                custom_op_modules=CUSTOM, notes="WhitespaceTokenizer, normalize_utf8, ngrams, vocab table"),
    CorpusModel("tf_text.unicode_script", "tf_text", build_unicode_script, inputs_multilingual,
                custom_op_modules=CUSTOM, notes="UnicodeScriptTokenizer with offsets, hashed ids"),
]
