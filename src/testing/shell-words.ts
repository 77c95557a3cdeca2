/**
 * Shell command lines as words, the way POSIX sh splits them (quotes, backslashes), and
 * split into the simple commands joined by `&&`, `||`, `;` and `|`. Enough to read the
 * lines projects write in Makefiles, CI `run:` steps and tox `commands` — not a shell:
 * expansions are left as written, and a line using anything fancier (subshells, here
 * documents) is reported as such so the caller can run it through a real shell.
 */

export interface ShellSegment {
  words: string[];
  /** The operator that follows this segment ("" at the end). */
  then: "&&" | "||" | ";" | "|" | "";
  /** The segment uses expansions or redirections that only a shell can carry out. */
  needsShell: boolean;
}

/** Split a line into words (quotes removed). Unbalanced quotes end at the line's end. */
export function shellWords(line: string): string[] {
  return splitSegments(line).flatMap((s) => s.words);
}

/** The simple commands of a line, with the operator after each. */
export function splitSegments(line: string): ShellSegment[] {
  const out: ShellSegment[] = [];
  let words: string[] = [];
  let word = "";
  let inWord = false;
  let needsShell = false;
  const endWord = () => {
    if (inWord) words.push(word);
    word = "";
    inWord = false;
  };
  const endSegment = (then: ShellSegment["then"]) => {
    endWord();
    if (words.length || then) out.push({ words, then, needsShell });
    words = [];
    needsShell = false;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      word += end < 0 ? line.slice(i + 1) : line.slice(i + 1, end);
      inWord = true;
      i = end < 0 ? line.length : end;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') {
        if (line[j] === "\\" && j + 1 < line.length && '"\\$`'.includes(line[j + 1]!)) {
          word += line[j + 1];
          j += 2;
          continue;
        }
        if (line[j] === "$" || line[j] === "`") needsShell = true;
        word += line[j];
        j++;
      }
      inWord = true;
      i = j;
      continue;
    }
    if (c === "\\" && i + 1 < line.length) {
      word += line[i + 1];
      inWord = true;
      i++;
      continue;
    }
    if (c === " " || c === "\t" || c === "\n") {
      endWord();
      continue;
    }
    if (c === "#" && !inWord) break;
    const two = line.slice(i, i + 2);
    if (two === "&&" || two === "||") {
      endSegment(two);
      i++;
      continue;
    }
    if (c === ";" || c === "|") {
      endSegment(c);
      continue;
    }
    if (c === "$" || c === "`" || c === "<" || c === ">" || c === "(" || c === ")" || c === "*" || c === "?" || c === "&") needsShell = true;
    word += c;
    inWord = true;
  }
  endSegment("");
  return out.filter((s) => s.words.length > 0 || s.then !== "");
}

/** Quote a word for sh when it needs it. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
