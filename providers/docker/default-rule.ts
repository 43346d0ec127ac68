/** `{{name}}` (spaces inside the braces allowed): the only placeholder of `defaultRule` (the static config rejects others). */
const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;

/** The rule of a container's default router: `Host(\`{{name}}.docker.localhost\`)` → `Host(\`web-1.docker.localhost\`)`. */
export function renderDefaultRule(template: string, name: string): string {
  return template.replace(PLACEHOLDER, (whole, key: string) => (key === 'name' ? name : whole));
}
