// Glob patterns for relative paths: `*` and `?` never cross a `/`, `**/` spans folders; no braces or classes.

/** Compile a glob into an anchored regular expression over `/`-separated relative paths. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*' && glob[i + 2] === '/') {
      source += '(?:.*/)?';
      i += 2;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** A predicate: does a relative path match any of the globs? */
export function globMatcher(globs: readonly string[]): (relPath: string) => boolean {
  const compiled = globs.map(globToRegExp);
  return (relPath) => compiled.some((re) => re.test(relPath));
}
