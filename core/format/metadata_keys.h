// Metadata keys of a .seedlm container (docs/FORMAT.md lists them): written
// by the compressor, read by the runtime and the CLI.
#ifndef SEEDLM_CORE_FORMAT_METADATA_KEYS_H_
#define SEEDLM_CORE_FORMAT_METADATA_KEYS_H_

namespace seedlm {

inline constexpr char kMetaArchConfig[] = "arch.config";
inline constexpr char kMetaSourceFormat[] = "source.format";
inline constexpr char kMetaTokenizerFormat[] = "tokenizer.format";
inline constexpr char kMetaTokenizerData[] = "tokenizer.data";
inline constexpr char kMetaPreset[] = "seedlm.preset";
inline constexpr char kMetaExponentMode[] = "seedlm.exponent_mode";
// Chat serving (ModelMetadata's chat fields), each written only when
// non-empty: the Jinja chat template, the texts of its bos/eos tokens, and
// the stop token ids as a JSON array of integers ("[2,32000]").
inline constexpr char kMetaChatTemplate[] = "chat.template";
inline constexpr char kMetaChatBosToken[] = "chat.bos_token";
inline constexpr char kMetaChatEosToken[] = "chat.eos_token";
inline constexpr char kMetaChatStopTokenIds[] = "chat.stop_token_ids";

}  // namespace seedlm

#endif  // SEEDLM_CORE_FORMAT_METADATA_KEYS_H_
