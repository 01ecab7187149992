// Logging: the Logger interface, its stream/file implementation, redaction and test loggers.
export { createLogger, type Logger, type LoggerOptions, type Level } from './logger.js';
export { nullLogger, memoryLogger, type MemoryLogger, type LogEntry } from './memory.js';
export { createRedactor, redactGeneric, type Redactor } from '../util/redact.js';
export { RotatingFile, type RotatingFileOptions } from './rotating-file.js';
export { formatPlain, formatTty, formatFields, formatValue, escapeControl, LEVELS, type LogRecord } from './format.js';
