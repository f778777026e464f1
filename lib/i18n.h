/* i18n.h: gettext macros. Every string a person reads goes through _(),
 * strings in static tables through N_() and are translated where shown. */
#ifndef UPSHIFT_I18N_H
#define UPSHIFT_I18N_H

#include <config.h>

#ifdef ENABLE_NLS
#include <libintl.h>
#define _(s) gettext(s)
#else
#define _(s) (s)
#endif
#define N_(s) (s)

#endif
