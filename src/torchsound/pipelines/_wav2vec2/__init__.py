"""wav2vec 2.0 / HuBERT / WavLM / MMS bundles (torchaudio 2.8's ``pipelines._wav2vec2``)."""
