/** What the XML outputs say about where they came from. */
export interface OutputOptions {
  /**
   * The document's file name, written as hOCR's `image "…"` and ALTO's
   * `fileName`. Default `document`.
   */
  imageName?: string;
  /**
   * The OCR system, written as hOCR's `ocr-system` and ALTO's `softwareName`
   * (Tesseract writes `tesseract 5.3.4`). Default `tesseract`: both engines are
   * Tesseract.
   */
  ocrSystem?: string;
}
