/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The tokenvend function's URL (Terraform prints it as function_urls). */
  readonly VITE_TOKENVEND_URL: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
