/** Where things are declared. Locations are not semantic content: a move is always neutral. */
import { defineRule, has, sortedKeys } from './define.js';
import { parseKey } from '../../manifest/keys.js';

/** The site id of a `keygate:via:` key, else undefined. */
function via(k: string): string | undefined {
  const p = parseKey(k);
  return p?.kind === 'keygate:via' ? p.id : undefined;
}

export const LOCATION_MOVED = defineRule({
  id: 'LOCATION_MOVED',
  category: 'location',
  effect: 'neutral',
  summary: 'An entity is now declared in a different file.',
  description:
    'The relative path recorded for a location key (`le:<id>`, `logging:<id>`, `keygate:site:<key>`...), or the path `keygate:via:<entry> -> <sink>` through helpers (a helper extracted, inlined, renamed or moved), changed while the entity is present on both sides. Id: the location key. Keys present on one side only belong to an added or removed entity, which its own rule reports.',
  justifyHint: 'No justification needed.',
  find: (ctx) =>
    sortedKeys(ctx.base.locations)
      .filter((k) => has(ctx.head.locations, k) && ctx.base.locations[k] !== ctx.head.locations[k])
      .map((k) => ({
        id: k,
        subject: '',
        before: ctx.base.locations[k],
        after: ctx.head.locations[k],
        message: via(k)
          ? `the path of ${via(k)} is now ${ctx.head.locations[k]} (was ${ctx.base.locations[k]}; guards unchanged)`
          : `${k} moved from ${ctx.base.locations[k]} to ${ctx.head.locations[k]}`,
        keys: [k],
        covers: [],
      })),
});

export const LOCATION_RULES = [LOCATION_MOVED];
