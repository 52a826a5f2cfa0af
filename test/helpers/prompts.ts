/** A long prompt (300 KB unless told) of prose, code and numbers in several scripts, with runs of spaces and newlines. */
export function longPrompt(chars = 300_000): string {
  const parts: string[] = [];
  for (let i = 0, n = 0; n < chars; i++) {
    const part = `word${i % 97} said:  "${i}".\n    const x${i} = [${i * 7}, 'κείμενο ${i % 13}'];  // 漢字 ${i}\t`;
    parts.push(part);
    n += part.length;
  }
  return parts.join(' ');
}
