/**
 * operationIds are the method names of generated clients (the mobile app's): once published they
 * stay. Routes built per platform derive theirs from the slug, so a new platform gets its own
 * without anyone writing one: `psn` → `linkPsnAccount`, `epic-games` → `linkEpicGamesAccount`.
 */
const pascalCase = (slug: string) =>
  slug
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join('');

/** `PUT /accounts/<slug>`. */
export const linkAccountOperationId = (slug: string) => `link${pascalCase(slug)}Account`;
