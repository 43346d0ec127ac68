/** `app` in provider `file` → `app@file`; an already-qualified `app@redis` stays as it is. */
export function qualify(name: string, provider: string): string {
  return name.includes('@') ? name : `${name}@${provider}`;
}

/** `app@file` → `file`. */
export function providerOf(qualified: string): string {
  const at = qualified.lastIndexOf('@');
  return at < 0 ? '' : qualified.slice(at + 1);
}
