/**
 * The Gemini `generateContent` shapes this codec writes and reads (REST, camelCase, v1beta), limited to the fields it
 * uses. Written shapes are exact; received ones are read through `Unchecked<…>` views and narrowed field by field.
 */
import type { JsonObject } from '../shared/json.js';
import type { GeminiFinishReason } from './map-stop-reason.js';

export type GeminiRole = 'user' | 'model';

export interface GeminiPart {
  text?: string;
  /** The part is a thought summary, not answer text. */
  thought?: boolean;
  /** Opaque; must go back on the same part in the next request (thinking models). */
  thoughtSignature?: string;
  inlineData?: { mimeType: string; data: string };
  fileData?: { mimeType?: string; fileUri: string };
  functionCall?: { id?: string; name: string; args: JsonObject };
  functionResponse?: { id?: string; name: string; response: JsonObject };
}

export interface GeminiContent {
  role: GeminiRole;
  parts: (GeminiPart | JsonObject)[];
}

export interface GeminiFunctionDeclaration {
  name: string;
  description?: string;
  /** The OpenAPI-subset Schema every Gemini model accepts (see schema.ts). */
  parameters?: JsonObject;
}

export type GeminiTool = { functionDeclarations: GeminiFunctionDeclaration[] } | JsonObject;

export interface GeminiThinkingConfig {
  includeThoughts?: boolean;
  /** -1: the model decides; 0: off. */
  thinkingBudget?: number;
  thinkingLevel?: string;
}

export interface GeminiGenerationConfig {
  temperature?: number;
  topP?: number;
  topK?: number;
  maxOutputTokens?: number;
  stopSequences?: string[];
  responseMimeType?: string;
  responseSchema?: JsonObject;
  thinkingConfig?: GeminiThinkingConfig;
  [key: string]: unknown;
}

export type GeminiFunctionCallingMode = 'AUTO' | 'ANY' | 'NONE' | 'VALIDATED';

export interface GeminiRequestBody {
  contents: GeminiContent[];
  systemInstruction?: { parts: { text: string }[] };
  tools?: GeminiTool[];
  toolConfig?: { functionCallingConfig: { mode: GeminiFunctionCallingMode; allowedFunctionNames?: string[] } };
  generationConfig?: GeminiGenerationConfig;
  [key: string]: unknown;
}

export interface GeminiUsageMetadata {
  promptTokenCount: number;
  candidatesTokenCount: number;
  totalTokenCount: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
}

export interface GeminiCandidate {
  content: GeminiContent;
  finishReason?: GeminiFinishReason;
  index: number;
}

export interface GeminiResponse {
  candidates: GeminiCandidate[];
  usageMetadata?: GeminiUsageMetadata;
  modelVersion: string;
  responseId: string;
}

/** Google's error envelope: `code` is the HTTP status, `status` the google.rpc code name. */
export interface GeminiErrorBody {
  error: { code: number; message: string; status: string; details?: unknown[] };
}
