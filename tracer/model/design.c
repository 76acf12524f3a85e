/* design.c: the views every design shares (see design.h). */
#include "model/design.h"

const char *field_name(const struct map_model *l, enum map_field f)
{
	const char *n = f < FIELD_N ? l->design->field_names[f] : NULL;
	return n ? n : "";
}

bool loc_same(const struct loc *a, const struct loc *b)
{
	return a->valid == b->valid && a->present == b->present && a->tophash_addr == b->tophash_addr &&
	       a->key_addr == b->key_addr && a->wait_addr == b->wait_addr;
}

void place_of_loc(const struct loc *l, struct place *p)
{
	p->in_bucket = l->valid;
	p->old = l->old;
	p->table = 0;
	p->bucket = l->bucket;
	p->overflow = l->overflow;
	p->slot = l->valid ? (int)l->slot : -1;
}
