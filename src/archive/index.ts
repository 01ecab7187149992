// Archive targets: where migrate stores run blobs.
export type { ArchiveTarget, ObjectDigest, PutOptions } from './target.js';
export { FilesystemTarget, type FilesystemTargetOptions } from './filesystem.js';
export { HttpTarget, type HttpTargetOptions } from './http.js';
export { openArchiveTarget } from './open.js';
export { DigestStream, digestOf } from './digest.js';
export { tarStream, tarSize, tarHeader, parseTar, type TarEntry, type ParsedEntry } from './tar.js';
export { expandTemplate, templatePlaceholders, type TemplateValues } from './naming.js';
export { readArchivePassword, basicAuthHeader } from './credentials.js';
