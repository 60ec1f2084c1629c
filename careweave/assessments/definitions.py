"""The instruments Careweave ships, as data (pure: no Django), in English and Swedish.

Each definition is what :mod:`careweave.assessments.scoring` reads and what the database
stores (``InstrumentVersion.definition``); ``careweave instruments export`` writes it as a
FHIR R4 Questionnaire and ``import`` reads it back. Texts are ``{"en": ..., "sv": ...}``.

Licences (checked for each; stated in each definition's ``licence``):

- PHQ-9 and GAD-7: developed by Drs Spitzer, Williams, Kroenke and colleagues with an
  educational grant from Pfizer Inc.; "No permission required to reproduce, translate,
  display or distribute" (the PHQ screeners' terms). The Swedish wording follows the
  Swedish translations published with the screeners.
- The three-item loneliness scale (Hughes et al., 2004, from the Revised UCLA Loneliness
  Scale), recommended by the UK Office for National Statistics as its national indicator.
- The Accountable Health Communities Health-Related Social Needs Screening Tool: a work of
  the US Centers for Medicare & Medicaid Services (CMS), in the public domain.
- Careweave's holistic needs assessment: the project's own.

Swedish wordings that are Careweave's own translation say so in the licence text: they are
not validated translations and should be checked before research use.
"""

from __future__ import annotations

from typing import Any

LOINC = "http://loinc.org"

# -- PHQ-9 ------------------------------------------------------------------------------------

FREQUENCY = [
    {"code": "LA6568-5", "value": 0, "text": {"en": "Not at all", "sv": "Inte alls"}},
    {"code": "LA6569-3", "value": 1, "text": {"en": "Several days", "sv": "Flera dagar"}},
    {"code": "LA6570-1", "value": 2, "text": {"en": "More than half the days",
                                              "sv": "Mer än hälften av dagarna"}},
    {"code": "LA6571-9", "value": 3, "text": {"en": "Nearly every day",
                                              "sv": "Nästan varje dag"}},
]
DIFFICULTY = [
    {"code": "LA6572-7", "text": {"en": "Not difficult at all", "sv": "Inte alls svårt"}},
    {"code": "LA6573-5", "text": {"en": "Somewhat difficult", "sv": "Ganska svårt"}},
    {"code": "LA6575-0", "text": {"en": "Very difficult", "sv": "Mycket svårt"}},
    {"code": "LA6574-3", "text": {"en": "Extremely difficult", "sv": "Extremt svårt"}},
]

PHQ_LICENCE = {
    "en": "PHQ-9 © Pfizer Inc. Developed by Drs Robert L. Spitzer, Janet B.W. Williams, Kurt "
          "Kroenke and colleagues, with an educational grant from Pfizer Inc. No permission "
          "is required to reproduce, translate, display or distribute it. LOINC codes © "
          "Regenstrief Institute, Inc., used under the LOINC terms of use.",
    "sv": "PHQ-9 © Pfizer Inc. Utvecklat av Robert L. Spitzer, Janet B.W. Williams, Kurt "
          "Kroenke med flera, med ett utbildningsanslag från Pfizer Inc. Inget tillstånd "
          "behövs för att återge, översätta, visa eller sprida formuläret. LOINC-koder © "
          "Regenstrief Institute, Inc., enligt LOINC:s användarvillkor.",
}

PHQ9: dict[str, Any] = {
    "code": "phq9",
    "version": "1.0.0",
    "loinc": "44249-1",
    "name": {"en": "PHQ-9", "sv": "PHQ-9"},
    "title": {"en": "Patient Health Questionnaire (PHQ-9)",
              "sv": "Patient Health Questionnaire (PHQ-9), depressionsskattning"},
    "purpose": {"en": "Depression: how often problems bothered the person over the last two "
                      "weeks.",
                "sv": "Depression: hur ofta besvären har funnits de senaste två veckorna."},
    "languages": ["en", "sv"],
    "audience": "professional",
    "repeat_days": 42,
    "licence": PHQ_LICENCE,
    "intro": {"en": "Over the last 2 weeks, how often have you been bothered by any of the "
                    "following problems?",
              "sv": "Hur ofta under de senaste två veckorna har du besvärats av något av "
                    "följande problem?"},
    "option_sets": {"frequency": FREQUENCY, "difficulty": DIFFICULTY},
    "items": [
        {"code": "q1", "loinc": "44250-9", "option_set": "frequency",
         "text": {"en": "Little interest or pleasure in doing things",
                  "sv": "Lite intresse eller glädje i att göra saker"}},
        {"code": "q2", "loinc": "44255-8", "option_set": "frequency",
         "text": {"en": "Feeling down, depressed, or hopeless",
                  "sv": "Känt dig nedstämd, deprimerad eller känt att framtiden ser hopplös "
                        "ut"}},
        {"code": "q3", "loinc": "44259-0", "option_set": "frequency",
         "text": {"en": "Trouble falling or staying asleep, or sleeping too much",
                  "sv": "Svårt att somna eller få en sammanhängande sömn, eller sovit för "
                        "mycket"}},
        {"code": "q4", "loinc": "44254-1", "option_set": "frequency",
         "text": {"en": "Feeling tired or having little energy",
                  "sv": "Känt dig trött eller haft ont om energi"}},
        {"code": "q5", "loinc": "44251-7", "option_set": "frequency",
         "text": {"en": "Poor appetite or overeating",
                  "sv": "Dålig aptit eller ätit för mycket"}},
        {"code": "q6", "loinc": "44258-2", "option_set": "frequency",
         "text": {"en": "Feeling bad about yourself, or that you are a failure or have let "
                        "yourself or your family down",
                  "sv": "Dålig självkänsla, eller känt att du är ett misslyckande eller att "
                        "du har svikit dig själv eller din familj"}},
        {"code": "q7", "loinc": "44252-5", "option_set": "frequency",
         "text": {"en": "Trouble concentrating on things, such as reading the newspaper or "
                        "watching television",
                  "sv": "Svårt att koncentrera dig, till exempel när du läser tidningen "
                        "eller tittar på tv"}},
        {"code": "q8", "loinc": "44253-3", "option_set": "frequency",
         "text": {"en": "Moving or speaking so slowly that other people could have noticed, "
                        "or the opposite: being so fidgety or restless that you have been "
                        "moving around a lot more than usual",
                  "sv": "Rört dig eller talat så långsamt att andra kunnat märka det, eller "
                        "motsatsen: varit så nervös eller rastlös att du rört dig mycket mer "
                        "än vanligt"}},
        {"code": "q9", "loinc": "44260-8", "option_set": "frequency", "required": True,
         "text": {"en": "Thoughts that you would be better off dead, or of hurting yourself "
                        "in some way",
                  "sv": "Tankar på att det vore bättre om du var död, eller på att skada dig "
                        "själv på något sätt"}},
        {"code": "difficulty", "loinc": "69722-7", "option_set": "difficulty",
         "text": {"en": "If you checked off any problems, how difficult have these problems "
                        "made it for you to do your work, take care of things at home, or get "
                        "along with other people?",
                  "sv": "Om du har markerat något av problemen, hur svårt har de gjort det "
                        "för dig att sköta ditt arbete, ta hand om saker hemma eller komma "
                        "överens med andra människor?"}},
    ],
    "pages": [["q1", "q2", "q3", "q4", "q5"], ["q6", "q7", "q8", "q9"], ["difficulty"]],
    "scoring": {
        "method": "sum", "total_loinc": "44261-6",
        "items": ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9"],
        # Up to one of items 1-8 unanswered: the mean of the others stands in for it
        # (item 9, the risk question, must be answered to submit).
        "missing": {"rule": "prorate", "max_missing": 1},
        "bands": [
            {"code": "minimal", "min": 0, "max": 4, "colour": "#00703c",
             "label": {"en": "Minimal", "sv": "Minimal"}},
            {"code": "mild", "min": 5, "max": 9, "colour": "#85994b",
             "label": {"en": "Mild", "sv": "Lindrig"}},
            {"code": "moderate", "min": 10, "max": 14, "colour": "#ffdd00",
             "label": {"en": "Moderate", "sv": "Måttlig"}},
            {"code": "moderately_severe", "min": 15, "max": 19, "colour": "#f47738",
             "label": {"en": "Moderately severe", "sv": "Medelsvår"}},
            {"code": "severe", "min": 20, "max": 27, "colour": "#d4351c",
             "label": {"en": "Severe", "sv": "Svår"}},
        ],
        "reliable_change": 6, "caseness": 10,
    },
    "flags": [
        {"code": "self_harm", "item": "q9", "above": 0,
         "label": {"en": "PHQ-9 item 9: thoughts of being better off dead or of self-harm",
                   "sv": "PHQ-9 fråga 9: tankar på att vara bättre död eller på att skada "
                         "sig själv"}},
    ],
}

# -- GAD-7 ------------------------------------------------------------------------------------

GAD7: dict[str, Any] = {
    "code": "gad7",
    "version": "1.0.0",
    "loinc": "69737-5",
    "name": {"en": "GAD-7", "sv": "GAD-7"},
    "title": {"en": "Generalised Anxiety Disorder scale (GAD-7)",
              "sv": "Generalised Anxiety Disorder scale (GAD-7), ångestskattning"},
    "purpose": {"en": "Anxiety: how often problems bothered the person over the last two "
                      "weeks.",
                "sv": "Ångest: hur ofta besvären har funnits de senaste två veckorna."},
    "languages": ["en", "sv"],
    "audience": "professional",
    "repeat_days": 42,
    "licence": {
        "en": "GAD-7 © Pfizer Inc. Developed by Drs Robert L. Spitzer, Janet B.W. Williams, "
              "Kurt Kroenke and colleagues, with an educational grant from Pfizer Inc. No "
              "permission is required to reproduce, translate, display or distribute it "
              "(Spitzer et al., 2006, is also described as being in the public domain).",
        "sv": "GAD-7 © Pfizer Inc. Utvecklat av Robert L. Spitzer, Janet B.W. Williams, Kurt "
              "Kroenke med flera, med ett utbildningsanslag från Pfizer Inc. Inget tillstånd "
              "behövs för att återge, översätta, visa eller sprida formuläret.",
    },
    "intro": {"en": "Over the last 2 weeks, how often have you been bothered by the following "
                    "problems?",
              "sv": "Hur ofta under de senaste två veckorna har du besvärats av följande "
                    "problem?"},
    "option_sets": {"frequency": FREQUENCY},
    "items": [
        {"code": "q1", "loinc": "69725-0", "option_set": "frequency",
         "text": {"en": "Feeling nervous, anxious or on edge",
                  "sv": "Känt dig nervös, ängslig eller väldigt stressad"}},
        {"code": "q2", "loinc": "68509-9", "option_set": "frequency",
         "text": {"en": "Not being able to stop or control worrying",
                  "sv": "Inte kunnat sluta oroa dig eller kontrollera din oro"}},
        {"code": "q3", "loinc": "69733-4", "option_set": "frequency",
         "text": {"en": "Worrying too much about different things",
                  "sv": "Oroat dig för mycket för olika saker"}},
        {"code": "q4", "loinc": "69734-2", "option_set": "frequency",
         "text": {"en": "Trouble relaxing", "sv": "Haft svårt att koppla av"}},
        {"code": "q5", "loinc": "69735-9", "option_set": "frequency",
         "text": {"en": "Being so restless that it is hard to sit still",
                  "sv": "Varit så rastlös att du haft svårt att sitta still"}},
        {"code": "q6", "loinc": "69689-8", "option_set": "frequency",
         "text": {"en": "Becoming easily annoyed or irritable",
                  "sv": "Blivit lätt irriterad eller retlig"}},
        {"code": "q7", "loinc": "69736-7", "option_set": "frequency",
         "text": {"en": "Feeling afraid, as if something awful might happen",
                  "sv": "Känt dig rädd, som om något hemskt skulle kunna hända"}},
    ],
    "pages": [["q1", "q2", "q3", "q4"], ["q5", "q6", "q7"]],
    "scoring": {
        "method": "sum", "total_loinc": "70274-6",
        "items": ["q1", "q2", "q3", "q4", "q5", "q6", "q7"],
        "missing": {"rule": "prorate", "max_missing": 1},
        "bands": [
            {"code": "minimal", "min": 0, "max": 4, "colour": "#00703c",
             "label": {"en": "Minimal", "sv": "Minimal"}},
            {"code": "mild", "min": 5, "max": 9, "colour": "#85994b",
             "label": {"en": "Mild", "sv": "Lindrig"}},
            {"code": "moderate", "min": 10, "max": 14, "colour": "#f47738",
             "label": {"en": "Moderate", "sv": "Måttlig"}},
            {"code": "severe", "min": 15, "max": 21, "colour": "#d4351c",
             "label": {"en": "Severe", "sv": "Svår"}},
        ],
        "reliable_change": 4, "caseness": 8,
    },
    "flags": [],
}

# -- loneliness (three items) -------------------------------------------------------------

HOW_OFTEN = [
    {"code": "hardly_ever", "value": 1, "text": {"en": "Hardly ever or never",
                                                 "sv": "Nästan aldrig eller aldrig"}},
    {"code": "some_of_the_time", "value": 2, "text": {"en": "Some of the time",
                                                      "sv": "Ibland"}},
    {"code": "often", "value": 3, "text": {"en": "Often", "sv": "Ofta"}},
]

LONELINESS: dict[str, Any] = {
    "code": "loneliness3",
    "version": "1.0.0",
    "name": {"en": "Loneliness (3 items)", "sv": "Ensamhet (3 frågor)"},
    "title": {"en": "Three-item loneliness scale (UCLA-3, as used by the ONS)",
              "sv": "Ensamhetsskala med tre frågor (UCLA-3)"},
    "purpose": {"en": "How often the person feels lonely or isolated.",
                "sv": "Hur ofta personen känner sig ensam eller isolerad."},
    "languages": ["en", "sv"],
    "audience": "care_team",
    "repeat_days": 182,
    "licence": {
        "en": "The three-item loneliness scale of Hughes, Waite, Hawkley and Cacioppo (2004, "
              "Research on Aging 26: 655-672), from the Revised UCLA Loneliness Scale "
              "(Russell, Peplau and Cutrona, 1980). The UK Office for National Statistics "
              "recommends it as a national indicator of loneliness (Measuring loneliness: "
              "guidance for use of the national indicators on surveys, 2018, published "
              "under the Open Government Licence v3.0); it is used without charge for "
              "non-commercial purposes with citation. The Revised UCLA Loneliness Scale is "
              "© Daniel W. Russell: ask the author before commercial use. The Swedish "
              "wording is Careweave's own translation and is not validated.",
        "sv": "Ensamhetsskalan med tre frågor av Hughes, Waite, Hawkley och Cacioppo (2004, "
              "Research on Aging 26: 655-672), ur Revised UCLA Loneliness Scale (Russell, "
              "Peplau och Cutrona, 1980). Storbritanniens statistikmyndighet ONS "
              "rekommenderar den som nationell indikator för ensamhet (2018, Open "
              "Government Licence v3.0); den används utan avgift i icke-kommersiellt syfte "
              "med källhänvisning. Revised UCLA Loneliness Scale © Daniel W. Russell: fråga "
              "upphovspersonen före kommersiell användning. Den svenska lydelsen är "
              "Careweaves egen översättning och är inte validerad.",
    },
    "intro": {"en": "The next questions are about how you feel about different aspects of "
                    "your life. For each one, say how often you feel that way.",
              "sv": "Följande frågor handlar om hur du känner inför olika delar av ditt liv. "
                    "Säg för varje fråga hur ofta du känner så."},
    "option_sets": {"how_often": HOW_OFTEN},
    "items": [
        {"code": "companionship", "option_set": "how_often", "required": True,
         "text": {"en": "How often do you feel that you lack companionship?",
                  "sv": "Hur ofta känner du att du saknar sällskap?"}},
        {"code": "left_out", "option_set": "how_often", "required": True,
         "text": {"en": "How often do you feel left out?",
                  "sv": "Hur ofta känner du dig utanför?"}},
        {"code": "isolated", "option_set": "how_often", "required": True,
         "text": {"en": "How often do you feel isolated from others?",
                  "sv": "Hur ofta känner du dig isolerad från andra?"}},
    ],
    "pages": [["companionship", "left_out", "isolated"]],
    "scoring": {
        "method": "sum", "items": ["companionship", "left_out", "isolated"],
        "missing": {"rule": "none"},
        "bands": [
            {"code": "less_lonely", "min": 3, "max": 5, "colour": "#00703c",
             "label": {"en": "Less often lonely (3 to 5)", "sv": "Sällan ensam (3–5)"}},
            {"code": "lonely", "min": 6, "max": 9, "colour": "#f47738",
             "label": {"en": "Often lonely (6 to 9)", "sv": "Ofta ensam (6–9)"}},
        ],
    },
    "flags": [],
}

# -- health-related social needs (AHC HRSN screening tool, core questions) ----------------

YES_NO = [{"code": "yes", "text": {"en": "Yes", "sv": "Ja"}},
          {"code": "no", "text": {"en": "No", "sv": "Nej"}}]
FOOD = [
    {"code": "often_true", "text": {"en": "Often true", "sv": "Stämmer ofta"}},
    {"code": "sometimes_true", "text": {"en": "Sometimes true", "sv": "Stämmer ibland"}},
    {"code": "never_true", "text": {"en": "Never true", "sv": "Stämmer aldrig"}},
]
SAFETY = [
    {"code": "never", "value": 1, "text": {"en": "Never", "sv": "Aldrig"}},
    {"code": "rarely", "value": 2, "text": {"en": "Rarely", "sv": "Sällan"}},
    {"code": "sometimes", "value": 3, "text": {"en": "Sometimes", "sv": "Ibland"}},
    {"code": "fairly_often", "value": 4, "text": {"en": "Fairly often", "sv": "Ganska ofta"}},
    {"code": "frequently", "value": 5, "text": {"en": "Frequently", "sv": "Ofta"}},
]

SOCIAL_NEEDS: dict[str, Any] = {
    "code": "ahc_hrsn",
    "version": "1.0.0",
    "name": {"en": "Social needs screen", "sv": "Screening av sociala behov"},
    "title": {"en": "Health-related social needs screen (AHC HRSN screening tool)",
              "sv": "Screening av hälsorelaterade sociala behov (AHC HRSN)"},
    "purpose": {"en": "Housing, food, transport, utilities and personal safety.",
                "sv": "Boende, mat, transporter, el och värme samt personlig säkerhet."},
    "languages": ["en", "sv"],
    "audience": "care_team",
    "repeat_days": 365,
    "licence": {
        "en": "The Accountable Health Communities Health-Related Social Needs Screening Tool "
              "(core questions), US Centers for Medicare & Medicaid Services, 2017: a work of "
              "the US federal government, in the public domain. Its interpersonal-safety "
              "questions are adapted by CMS from the HITS screen (Sherin et al., 1998). The "
              "Swedish wording is Careweave's own translation and is not validated.",
        "sv": "Accountable Health Communities Health-Related Social Needs Screening Tool "
              "(kärnfrågorna), USA:s Centers for Medicare & Medicaid Services, 2017: ett verk "
              "av USA:s federala regering som är allmän egendom (public domain). Frågorna om "
              "personlig säkerhet är bearbetade av CMS från HITS (Sherin m.fl., 1998). Den "
              "svenska lydelsen är Careweaves egen översättning och är inte validerad.",
    },
    "intro": {"en": "Some people have trouble with the basic needs of daily life. These "
                    "questions help us find support for you.",
              "sv": "En del har svårt att klara de grundläggande behoven i vardagen. Frågorna "
                    "hjälper oss att hitta stöd för dig."},
    "option_sets": {"yes_no": YES_NO, "food": FOOD, "safety": SAFETY},
    "items": [
        {"code": "living", "required": True, "options": [
            {"code": "steady", "text": {"en": "I have a steady place to live",
                                        "sv": "Jag har en stadigvarande bostad"}},
            {"code": "worried", "text": {
                "en": "I have a place to live today, but I am worried about losing it in the "
                      "future",
                "sv": "Jag har någonstans att bo i dag, men jag är orolig för att förlora "
                      "bostaden"}},
            {"code": "not_steady", "text": {
                "en": "I do not have a steady place to live (I am temporarily staying with "
                      "others, in a hotel, in a shelter, living outside on the street, in a "
                      "car, or in a park)",
                "sv": "Jag har ingen stadigvarande bostad (jag bor tillfälligt hos andra, på "
                      "hotell, på härbärge, utomhus, i en bil eller i en park)"}}],
         "text": {"en": "What is your living situation today?",
                  "sv": "Hur ser din boendesituation ut i dag?"}},
        {"code": "housing_problems", "type": "multi", "options": [
            {"code": "pests", "text": {"en": "Pests such as bugs, ants or mice",
                                       "sv": "Skadedjur, till exempel insekter, myror eller "
                                             "möss"}},
            {"code": "mould", "text": {"en": "Mould", "sv": "Mögel"}},
            {"code": "lead", "text": {"en": "Lead paint or pipes", "sv": "Blyfärg eller "
                                                                         "blyrör"}},
            {"code": "heat", "text": {"en": "Lack of heat", "sv": "Bristande värme"}},
            {"code": "cooker", "text": {"en": "Oven or stove not working",
                                        "sv": "Ugn eller spis som inte fungerar"}},
            {"code": "smoke", "text": {"en": "Smoke detectors missing or not working",
                                       "sv": "Brandvarnare saknas eller fungerar inte"}},
            {"code": "leaks", "text": {"en": "Water leaks", "sv": "Vattenläckor"}},
            {"code": "none", "text": {"en": "None of these", "sv": "Inget av detta"}}],
         "text": {"en": "Think about the place you live. Do you have problems with any of the "
                        "following? Choose all that apply.",
                  "sv": "Tänk på bostaden där du bor. Har du problem med något av följande? "
                        "Välj allt som stämmer."}},
        {"code": "food_worry", "option_set": "food", "required": True,
         "text": {"en": "Within the past 12 months, you worried that your food would run out "
                        "before you got money to buy more.",
                  "sv": "Under de senaste 12 månaderna har du varit orolig för att maten "
                        "skulle ta slut innan du fick pengar att köpa mer."}},
        {"code": "food_ran_out", "option_set": "food", "required": True,
         "text": {"en": "Within the past 12 months, the food you bought just didn't last and "
                        "you didn't have money to get more.",
                  "sv": "Under de senaste 12 månaderna räckte inte maten du köpt och du hade "
                        "inte pengar att köpa mer."}},
        {"code": "transport", "option_set": "yes_no", "required": True,
         "text": {"en": "In the past 12 months, has lack of reliable transportation kept you "
                        "from medical appointments, meetings, work or from getting things "
                        "needed for daily living?",
                  "sv": "Har brist på pålitliga transporter under de senaste 12 månaderna "
                        "hindrat dig från att gå på vårdbesök, möten eller arbete, eller från "
                        "att skaffa det du behöver i vardagen?"}},
        {"code": "utilities", "required": True, "options": [
            {"code": "yes", "text": {"en": "Yes", "sv": "Ja"}},
            {"code": "no", "text": {"en": "No", "sv": "Nej"}},
            {"code": "already_shut_off", "text": {"en": "Already shut off",
                                                  "sv": "Redan avstängt"}}],
         "text": {"en": "In the past 12 months, has the electric, gas, oil or water company "
                        "threatened to shut off services in your home?",
                  "sv": "Har el-, gas-, olje- eller vattenbolaget under de senaste 12 "
                        "månaderna hotat att stänga av leveranserna till ditt hem?"}},
        {"code": "safety_hurt", "option_set": "safety",
         "text": {"en": "How often does anyone, including family and friends, physically hurt "
                        "you?",
                  "sv": "Hur ofta skadar någon, även familj och vänner, dig fysiskt?"}},
        {"code": "safety_insult", "option_set": "safety",
         "text": {"en": "How often does anyone, including family and friends, insult or talk "
                        "down to you?",
                  "sv": "Hur ofta förolämpar någon, även familj och vänner, dig eller talar "
                        "nedlåtande till dig?"}},
        {"code": "safety_threaten", "option_set": "safety",
         "text": {"en": "How often does anyone, including family and friends, threaten you "
                        "with harm?",
                  "sv": "Hur ofta hotar någon, även familj och vänner, att skada dig?"}},
        {"code": "safety_scream", "option_set": "safety",
         "text": {"en": "How often does anyone, including family and friends, scream or curse "
                        "at you?",
                  "sv": "Hur ofta skriker någon, även familj och vänner, åt dig eller svär "
                        "åt dig?"}},
    ],
    "pages": [["living", "housing_problems"], ["food_worry", "food_ran_out"],
              ["transport", "utilities"],
              ["safety_hurt", "safety_insult", "safety_threaten", "safety_scream"]],
    "scoring": {
        "method": "domains",
        "domains": [
            {"code": "housing", "items": ["living"],
             "any_of": {"living": ["worried", "not_steady"]},
             "label": {"en": "Housing instability", "sv": "Osäkert boende"}},
            {"code": "housing_quality", "items": ["housing_problems"],
             "any_of": {"housing_problems": ["pests", "mould", "lead", "heat", "cooker",
                                             "smoke", "leaks"]},
             "label": {"en": "Housing quality", "sv": "Brister i bostaden"}},
            {"code": "food", "items": ["food_worry", "food_ran_out"],
             "any_of": {"food_worry": ["often_true", "sometimes_true"],
                        "food_ran_out": ["often_true", "sometimes_true"]},
             "label": {"en": "Food insecurity", "sv": "Otrygg tillgång till mat"}},
            {"code": "transport", "items": ["transport"], "any_of": {"transport": ["yes"]},
             "label": {"en": "Transport", "sv": "Transporter"}},
            {"code": "utilities", "items": ["utilities"],
             "any_of": {"utilities": ["yes", "already_shut_off"]},
             "label": {"en": "Utilities", "sv": "El, värme och vatten"}},
            {"code": "safety", "sum_at_least": 11,
             "items": ["safety_hurt", "safety_insult", "safety_threaten", "safety_scream"],
             "label": {"en": "Interpersonal safety", "sv": "Personlig säkerhet"}},
        ],
    },
    "flags": [],
}

# -- Careweave's holistic needs assessment ------------------------------------------------

CONCERN = [
    {"code": "none", "value": 0, "text": {"en": "No concern", "sv": "Ingen oro"}},
    {"code": "some", "value": 1, "text": {"en": "Some concern", "sv": "Viss oro"}},
    {"code": "a_lot", "value": 2, "text": {"en": "A lot of concern", "sv": "Stor oro"}},
]


def _area(code: str, en: str, sv: str) -> dict[str, Any]:
    return {"code": code, "option_set": "concern", "text": {"en": en, "sv": sv}}


HOLISTIC: dict[str, Any] = {
    "code": "careweave_hna",
    "version": "1.0.0",
    "name": {"en": "Holistic needs assessment", "sv": "Helhetsbedömning av behov"},
    "title": {"en": "Careweave holistic needs assessment",
              "sv": "Careweaves helhetsbedömning av behov"},
    "purpose": {"en": "What matters to the person, and where they would like support.",
                "sv": "Vad som är viktigt för personen och var hen vill ha stöd."},
    "languages": ["en", "sv"],
    "audience": "care_team",
    "repeat_days": 365,
    "licence": {
        "en": "Careweave's own holistic needs assessment, © the Careweave contributors, "
              "published with Careweave under the same terms as its source code. Free to "
              "use, translate and adapt.",
        "sv": "Careweaves egen helhetsbedömning av behov, © Careweaves bidragsgivare, "
              "publicerad med Careweave på samma villkor som källkoden. Fri att använda, "
              "översätta och bearbeta.",
    },
    "intro": {"en": "We would like to understand what matters to you and where you would like "
                    "support. For each area, say how much it worries you.",
              "sv": "Vi vill förstå vad som är viktigt för dig och var du vill ha stöd. Säg för "
                    "varje område hur mycket det oroar dig."},
    "option_sets": {"concern": CONCERN},
    "items": [
        {"code": "what_matters", "type": "text", "required": True, "max_length": 2000,
         "text": {"en": "What matters to you most at the moment?",
                  "sv": "Vad är viktigast för dig just nu?"}},
        _area("daily_living", "Daily living: washing, dressing, meals, getting about",
              "Vardagen: tvätta sig, klä sig, måltider, att ta sig runt"),
        _area("housing", "Housing: your home, its safety and whether it suits you",
              "Boende: ditt hem, om det är tryggt och passar dig"),
        _area("money", "Money: benefits, bills, debt", "Ekonomi: bidrag, räkningar, skulder"),
        _area("food", "Food: having enough to eat", "Mat: att ha tillräckligt att äta"),
        _area("social_contact", "Social contact and the people who support you",
              "Sociala kontakter och de som stöttar dig"),
        _area("caring", "Caring for someone else", "Att vårda eller ta hand om någon annan"),
        _area("health_literacy", "Understanding information about your health and care",
              "Att förstå information om din hälsa och vård"),
        _area("culture_faith", "Culture and faith: being able to live by what matters to you",
              "Kultur och tro: att kunna leva efter det som är viktigt för dig"),
        _area("language", "Language: being understood, and needing an interpreter",
              "Språk: att bli förstådd och behov av tolk"),
        _area("digital", "Digital access: a phone, the internet, using online services",
              "Digital tillgång: telefon, internet, att använda e-tjänster"),
        {"code": "support_wanted", "type": "text", "max_length": 2000,
         "text": {"en": "What would help, and who would you like it from?",
                  "sv": "Vad skulle hjälpa dig, och från vem vill du ha hjälpen?"}},
    ],
    "pages": [["what_matters"], ["daily_living", "housing", "money", "food"],
              ["social_contact", "caring", "health_literacy"],
              ["culture_faith", "language", "digital"], ["support_wanted"]],
    "scoring": {"method": "concerns", "concern_at_least": 1},
    "flags": [],
}

SHIPPED: tuple[dict[str, Any], ...] = (PHQ9, GAD7, LONELINESS, SOCIAL_NEEDS, HOLISTIC)


def shipped(code: str) -> dict[str, Any]:
    for definition in SHIPPED:
        if definition["code"] == code:
            return definition
    raise KeyError(code)


def text_in(texts: Any, language: str) -> str:
    """A text in the reader's language, else English, else any."""
    if isinstance(texts, str):
        return texts
    if not isinstance(texts, dict) or not texts:
        return ""
    lang = (language or "en")[:2]
    return str(texts.get(lang) or texts.get("en") or next(iter(texts.values())))
