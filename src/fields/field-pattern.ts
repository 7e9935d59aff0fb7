import { RE2JS } from 're2js';

/**
 * A schema's `x-pattern`, compiled by RE2 (its pure-JS port): it runs on text
 * from untrusted documents, and a client's pattern such as `([a-z]|[a-z0-9])+$`
 * backtracked for 20–32 s on 27 letters in V8's engine (doubling with each letter), which a ReDoS screen
 * (safe-regex2) had passed. RE2 matches in time linear in the text and refuses
 * what it cannot do so (lookaround, backreferences).
 *
 * @throws RE2JSSyntaxException for a pattern RE2 cannot compile.
 */
export function compileFieldPattern(pattern: string): RE2JS {
  return RE2JS.compile(pattern);
}
