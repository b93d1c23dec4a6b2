/**
 * cdktf records where every token was made: each one captures a full stack
 * trace (no depth limit) and formats it on the spot. Under Jest that
 * formatting maps every frame through source maps, which is about two thirds
 * of the CPU of building and preparing the stacks. While tests build stacks,
 * frames are formatted plainly instead (positions in the transpiled code).
 * The synthesized JSON never depends on it; only cdktf's own "created at"
 * notes lose their source positions. An error thrown while building still
 * reads as usual: V8 formats a stack when it is first read, after this
 * function has put the previous formatter back.
 */
export function withPlainStackTraces<T>(build: () => T): T {
  const previous = Error.prepareStackTrace;
  Error.prepareStackTrace = (error, frames) => [String(error), ...frames.map((frame) => `    at ${frame.toString()}`)].join("\n");
  try {
    return build();
  } finally {
    Error.prepareStackTrace = previous;
  }
}
