/** The {@link LlmExtractor}, or null when `LLM_BASE_URL` is not set. */
export const LLM_EXTRACTOR = Symbol('LLM_EXTRACTOR');
